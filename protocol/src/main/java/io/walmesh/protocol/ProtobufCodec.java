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

  /**
   * Registers the codecs of the write messages ({@code WriteToLogRequest}, {@code WriteToLogResponse}, and their
   * batches, which gateways send to the owners of namespaces on other members)
   * as default codecs, unless a node or client sharing the Vert.x instance already did.
   */
  public static void registerWriteCodecs(io.vertx.core.eventbus.EventBus bus) {
    register(bus, io.walmesh.protocol.v1.WriteToLogRequest.class,
        new ProtobufCodec<>(io.walmesh.protocol.v1.WriteToLogRequest.parser(), "WriteToLogRequest"));
    register(bus, io.walmesh.protocol.v1.WriteToLogResponse.class,
        new ProtobufCodec<>(io.walmesh.protocol.v1.WriteToLogResponse.parser(), "WriteToLogResponse"));
    register(bus, io.walmesh.protocol.v1.WriteToLogBatchRequest.class,
        new ProtobufCodec<>(io.walmesh.protocol.v1.WriteToLogBatchRequest.parser(), "WriteToLogBatchRequest"));
    register(bus, io.walmesh.protocol.v1.WriteToLogBatchResponse.class,
        new ProtobufCodec<>(io.walmesh.protocol.v1.WriteToLogBatchResponse.parser(), "WriteToLogBatchResponse"));
  }

  private static <M extends MessageLite> void register(io.vertx.core.eventbus.EventBus bus, Class<M> type,
                                                       ProtobufCodec<M> codec) {
    try {
      bus.registerDefaultCodec(type, codec);
    } catch (IllegalStateException alreadyRegistered) {
      // registered by whoever shares this Vert.x instance: same name, same wire form
    }
  }

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
