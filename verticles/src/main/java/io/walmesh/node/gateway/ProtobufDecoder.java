package io.walmesh.node.gateway;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import io.netty.buffer.ByteBuf;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.grpc.common.CodecException;
import io.vertx.grpc.common.GrpcMessage;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.WireFormat;

/**
 * Decodes a protobuf request message where its bytes lie, in the buffer the connection filled. vertx-grpc's decoder
 * copies the whole message into a new array first ({@code Buffer.getBytes}: 3.7 % of the gateway's event-loop samples
 * in the flame graph of 100-entry batches, a 30 KB copy per call). What the message holds is copied out as protobuf
 * always does (no aliasing), so nothing decoded refers to the connection's buffer. The same checks as
 * {@code Parser.parseFrom(byte[])}: an end-group tag where the message should end is refused, not taken as its end.
 * Other wire formats (JSON, from gRPC-Web and JSON clients) go to vertx-grpc's decoder.
 */
final class ProtobufDecoder<T extends MessageLite> implements GrpcMessageDecoder<T> {
  private final Parser<T> parser;
  private final GrpcMessageDecoder<T> otherFormats;

  private ProtobufDecoder(Parser<T> parser, GrpcMessageDecoder<T> otherFormats) {
    this.parser = parser;
    this.otherFormats = otherFormats;
  }

  /** Decodes messages of {@code defaultInstance}'s type; {@code otherFormats} (vertx-grpc's decoder) the non-protobuf ones. */
  @SuppressWarnings("unchecked")
  static <T extends MessageLite> GrpcMessageDecoder<T> of(T defaultInstance, GrpcMessageDecoder<T> otherFormats) {
    return new ProtobufDecoder<>((Parser<T>) defaultInstance.getParserForType(), otherFormats);
  }

  @Override
  public T decode(GrpcMessage message) throws CodecException {
    if (message.format() != WireFormat.PROTOBUF) {
      return otherFormats.decode(message);
    }
    try {
      CodedInputStream input = input(message.payload());
      T decoded = parser.parseFrom(input);
      input.checkLastTagWas(0);
      return decoded;
    } catch (InvalidProtocolBufferException e) {
      throw new CodecException(e);
    }
  }

  private static CodedInputStream input(Buffer payload) {
    if (payload instanceof BufferInternal internal) {
      ByteBuf bytes = internal.getByteBuf(); // a view of the buffer's bytes, not a copy
      if (bytes.hasArray()) {
        return CodedInputStream.newInstance(bytes.array(), bytes.arrayOffset() + bytes.readerIndex(), bytes.readableBytes());
      }
      if (bytes.nioBufferCount() == 1) {
        return CodedInputStream.newInstance(bytes.nioBuffer());
      }
    }
    return CodedInputStream.newInstance(payload.getBytes());
  }

  @Override
  public boolean accepts(WireFormat format) {
    return format == WireFormat.PROTOBUF || otherFormats.accepts(format);
  }
}
