package io.walmesh.node.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.grpc.common.CodecException;
import io.vertx.grpc.common.GrpcMessage;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.WireFormat;
import io.walmesh.protocol.v1.Lifecycle;
import io.walmesh.protocol.v1.WriteAheadLogGrpcService;
import io.walmesh.protocol.v1.WriteToLogBatchRequest;
import io.walmesh.protocol.v1.WriteToLogRequest;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The gateway's decoder of request messages, which reads them where the connection's buffer holds them: it must
 * decode exactly what vertx-grpc's copying decoder decodes, whatever kind of buffer the bytes are in, and refuse what
 * that refuses.
 */
class ProtobufDecoderTest {
  private static final GrpcMessageDecoder<WriteToLogBatchRequest> DECODER = ProtobufDecoder.of(
      WriteToLogBatchRequest.getDefaultInstance(), WriteAheadLogGrpcService.WriteToLogBatch.decoder());

  private static WriteToLogBatchRequest batch() {
    WriteToLogBatchRequest.Builder batch = WriteToLogBatchRequest.newBuilder();
    for (int i = 0; i < 20; i++) {
      batch.addRequests(WriteToLogRequest.newBuilder().setNamespace("orders").setKey("k" + i)
          .setPayload(ByteString.copyFromUtf8("payload é " + i)).putHeaders("h", "v" + i)
          .setLifecycle(Lifecycle.newBuilder().setDelayMs(i)).setIdempotencyKey("id-" + i));
    }
    return batch.build();
  }

  private static WriteToLogBatchRequest decode(ByteBuf bytes) {
    return DECODER.decode(GrpcMessage.message("identity", WireFormat.PROTOBUF, BufferInternal.buffer(bytes)));
  }

  @Test
  void aMessageDecodesTheSameFromAnyKindOfBufferAndOwnsItsBytes() {
    WriteToLogBatchRequest sent = batch();
    byte[] wire = sent.toByteArray();
    byte[] framed = new byte[wire.length + 9];
    System.arraycopy(wire, 0, framed, 5, wire.length);
    ByteBuf heapSlice = Unpooled.wrappedBuffer(framed).slice(5, wire.length); // an array with an offset
    ByteBuf direct = Unpooled.directBuffer(wire.length).writeBytes(wire);
    CompositeByteBuf split = Unpooled.compositeBuffer().addComponents(true,
        Unpooled.directBuffer().writeBytes(wire, 0, 100), Unpooled.directBuffer().writeBytes(wire, 100, wire.length - 100));
    for (ByteBuf bytes : List.of(heapSlice, direct, split)) {
      WriteToLogBatchRequest decoded = decode(bytes);
      assertThat(decoded).as("from %s", bytes.getClass().getSimpleName()).isEqualTo(sent);
      bytes.setZero(bytes.readerIndex(), bytes.readableBytes()); // the connection reuses its buffer
      assertThat(decoded).as("the decoded message holds copies, not views of the buffer").isEqualTo(sent);
    }
  }

  @Test
  void whatTheCopyingDecoderRefusesIsRefused() throws Exception {
    byte[] wire = batch().toByteArray();
    byte[] endGroupInside = Arrays.copyOf(wire, wire.length + 8);
    // an end-group tag (field 1, wire type 4) where the message ends, then a field: parseFrom(byte[]) refuses it
    System.arraycopy(new byte[] {0x0c, 0x12, 0x01, 0x41}, 0, endGroupInside, wire.length, 4);
    byte[] truncated = Arrays.copyOf(wire, wire.length - 3);
    for (byte[] bad : List.of(Arrays.copyOf(endGroupInside, wire.length + 4), truncated)) {
      Throwable copying = org.assertj.core.api.Assertions.catchThrowable(() -> WriteToLogBatchRequest.parseFrom(bad));
      assertThat(copying).isInstanceOf(InvalidProtocolBufferException.class);
      assertThatThrownBy(() -> decode(Unpooled.wrappedBuffer(bad))).isInstanceOf(CodecException.class)
          .hasCauseInstanceOf(InvalidProtocolBufferException.class);
      assertThatThrownBy(() -> decode(Unpooled.directBuffer().writeBytes(bad))).isInstanceOf(CodecException.class);
    }
  }

  @Test
  void jsonGoesToTheLibrarysDecoder() {
    WriteToLogBatchRequest decoded = DECODER.decode(GrpcMessage.message("identity", WireFormat.JSON,
        Buffer.buffer("{\"requests\": [{\"namespace\": \"orders\", \"key\": \"k1\"}]}")));
    assertThat(decoded.getRequests(0).getNamespace()).isEqualTo("orders");
    assertThat(decoded.getRequests(0).getKey()).isEqualTo("k1");
    assertThat(DECODER.accepts(WireFormat.JSON)).isTrue();
  }
}
