package io.walmesh.node.gateway;

import com.google.protobuf.Descriptors.FileDescriptor;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServer;
import io.walmesh.protocol.grpc.health.v1.HealthProto;
import io.walmesh.protocol.grpc.reflection.v1.ErrorResponse;
import io.walmesh.protocol.grpc.reflection.v1.FileDescriptorResponse;
import io.walmesh.protocol.grpc.reflection.v1.ListServiceResponse;
import io.walmesh.protocol.grpc.reflection.v1.ServerReflectionGrpcService;
import io.walmesh.protocol.grpc.reflection.v1.ServerReflectionProto;
import io.walmesh.protocol.grpc.reflection.v1.ServerReflectionRequest;
import io.walmesh.protocol.grpc.reflection.v1.ServerReflectionResponse;
import io.walmesh.protocol.grpc.reflection.v1.ServiceResponse;
import io.walmesh.protocol.v1.WalmeshProto;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Standard gRPC server reflection ({@code grpc.reflection.v1.ServerReflection}) on the gateway, so
 * that {@code grpcurl list} and {@code grpcurl describe} work without the .proto files. Open to
 * every caller: it shows the public API's schema (walmesh.proto) and nothing of the node's state.
 * Answers list_services, file_by_filename and file_containing_symbol (a file comes with the files
 * it imports); extensions are answered NOT_FOUND (walmesh's protos declare none).
 */
final class GrpcReflection {
  private static final List<FileDescriptor> FILES = List.of(WalmeshProto.getDescriptor(), HealthProto.getDescriptor(),
      ServerReflectionProto.getDescriptor());

  private GrpcReflection() {
  }

  /** The same protocol under its older name, which older grpcurl versions ask for; the messages are the same. */
  private static final io.vertx.grpc.common.ServiceMethod<ServerReflectionRequest, ServerReflectionResponse> V1ALPHA =
      io.vertx.grpc.common.ServiceMethod.server(io.vertx.grpc.common.ServiceName.create("grpc.reflection.v1alpha",
          "ServerReflection"), "ServerReflectionInfo", io.vertx.grpc.common.GrpcMessageEncoder.encoder(),
          io.vertx.grpc.common.GrpcMessageDecoder.decoder(ServerReflectionRequest.newBuilder()));

  static void register(GrpcServer grpc) {
    for (var method : List.of(ServerReflectionGrpcService.ServerReflectionInfo, V1ALPHA)) {
      grpc.callHandler(method, call -> {
        call.handler(request -> {
          try {
            call.response().write(answer(request));
          } catch (IllegalStateException closed) {
            // the client went away
          }
        });
        call.endHandler(v -> call.response().end());
      });
    }
  }

  static ServerReflectionResponse answer(ServerReflectionRequest request) {
    ServerReflectionResponse.Builder response = ServerReflectionResponse.newBuilder().setValidHost(request.getHost())
        .setOriginalRequest(request);
    switch (request.getMessageRequestCase()) {
      case LIST_SERVICES -> {
        ListServiceResponse.Builder list = ListServiceResponse.newBuilder();
        FILES.forEach(file -> file.getServices().forEach(s -> list.addService(ServiceResponse.newBuilder().setName(s.getFullName()))));
        return response.setListServicesResponse(list).build();
      }
      case FILE_BY_FILENAME -> {
        for (FileDescriptor file : FILES) {
          if (file.getName().equals(request.getFileByFilename())) {
            return response.setFileDescriptorResponse(withImports(file)).build();
          }
        }
        return notFound(response, "no file " + request.getFileByFilename());
      }
      case FILE_CONTAINING_SYMBOL -> {
        String symbol = request.getFileContainingSymbol();
        for (FileDescriptor file : FILES) {
          if (declares(file, symbol)) {
            return response.setFileDescriptorResponse(withImports(file)).build();
          }
        }
        return notFound(response, "no symbol " + symbol);
      }
      default -> {
        return notFound(response, "walmesh declares no extensions, and answers list_services, file_by_filename and"
            + " file_containing_symbol");
      }
    }
  }

  private static ServerReflectionResponse notFound(ServerReflectionResponse.Builder response, String message) {
    return response.setErrorResponse(ErrorResponse.newBuilder().setErrorCode(GrpcStatus.NOT_FOUND.code)
        .setErrorMessage(message)).build();
  }

  /** Whether a file declares a service, method, message (nested too), enum or enum value of this full name. */
  private static boolean declares(FileDescriptor file, String symbol) {
    if (file.findServiceByName(strip(file, symbol)) != null) {
      return true;
    }
    for (var service : file.getServices()) {
      for (var method : service.getMethods()) {
        if (method.getFullName().equals(symbol)) {
          return true;
        }
      }
    }
    for (var message : file.getMessageTypes()) {
      if (declaresIn(message, symbol)) {
        return true;
      }
    }
    return file.getEnumTypes().stream().anyMatch(e -> e.getFullName().equals(symbol));
  }

  private static boolean declaresIn(com.google.protobuf.Descriptors.Descriptor message, String symbol) {
    if (message.getFullName().equals(symbol) || message.getEnumTypes().stream().anyMatch(e -> e.getFullName().equals(symbol))) {
      return true;
    }
    return message.getNestedTypes().stream().anyMatch(nested -> declaresIn(nested, symbol));
  }

  /** A full name without the file's package; the name as given when it is not in the package. */
  private static String strip(FileDescriptor file, String symbol) {
    String prefix = file.getPackage().isEmpty() ? "" : file.getPackage() + ".";
    return symbol.startsWith(prefix) ? symbol.substring(prefix.length()) : symbol;
  }

  /** The file and every file it imports, each once, the file first. */
  private static FileDescriptorResponse withImports(FileDescriptor file) {
    Map<String, FileDescriptor> all = new LinkedHashMap<>();
    collect(file, all);
    FileDescriptorResponse.Builder files = FileDescriptorResponse.newBuilder();
    all.values().forEach(f -> files.addFileDescriptorProto(f.toProto().toByteString()));
    return files.build();
  }

  private static void collect(FileDescriptor file, Map<String, FileDescriptor> all) {
    if (all.putIfAbsent(file.getName(), file) == null) {
      file.getDependencies().forEach(d -> collect(d, all));
    }
  }
}
