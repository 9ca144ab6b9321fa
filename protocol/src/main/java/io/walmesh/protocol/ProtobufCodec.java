package io.walmesh.protocol;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;

/**
 * An event-bus codec for a protobuf message of {@code protocol/}: inside one JVM the (immutable)
 * message is passed as is; across the cluster it travels as its protobuf bytes. Nodes register one
 * per message type with {@code eventBus().registerDefaultCodec}.
 */
public final class ProtobufCodec<T extends MessageLite> implements MessageCodec<T, T> {
  private final Parser<T> parser;
  private final String name;

  public ProtobufCodec(Parser<T> parser, String messageName) {
    this.parser = parser;
    this.name = Addresses.INTERNAL_PREFIX + "protobuf." + messageName;
  }

  @Override
  public void encodeToWire(Buffer buffer, T message) {
    byte[] bytes = message.toByteArray();
    buffer.appendInt(bytes.length).appendBytes(bytes);
  }

  @Override
  public T decodeFromWire(int pos, Buffer buffer) {
    int length = buffer.getInt(pos);
    try {
      return parser.parseFrom(buffer.getBytes(pos + 4, pos + 4 + length));
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("corrupt " + name + " on the event bus: " + e.getMessage(), e);
    }
  }

  @Override
  public T transform(T message) {
    return message;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }
}
