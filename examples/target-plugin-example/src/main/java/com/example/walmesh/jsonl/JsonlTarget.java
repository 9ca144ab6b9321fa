package com.example.walmesh.jsonl;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.json.JsonObject;
import io.walmesh.spi.target.Delivery;
import io.walmesh.spi.target.DeliveryException;
import io.walmesh.spi.target.Target;
import java.nio.file.Path;
import java.util.Base64;

/**
 * Appends {@code {"entry-id":..,"key":..,"write-time-ms":..,"attempt":..,"payload-base64":..}} lines.
 * The file is opened on the first delivery, asynchronously, and flushed to disk before a delivery
 * succeeds. Delivery is at least once: after a crash a line may appear twice, with the same
 * {@code entry-id}, so readers keep the first line of each id.
 */
final class JsonlTarget implements Target {
  private final Vertx vertx;
  private final Path file;
  private Future<AsyncFile> opened;

  JsonlTarget(Vertx vertx, Path file) {
    this.vertx = vertx;
    this.file = file;
  }

  @Override
  public Future<Void> deliver(Delivery delivery) {
    if (opened == null || opened.failed()) {
      opened = vertx.fileSystem().mkdirs(file.toAbsolutePath().getParent().toString())
          .compose(v -> vertx.fileSystem().open(file.toString(), new OpenOptions().setAppend(true).setCreate(true)));
    }
    Buffer line = new JsonObject()
        .put("entry-id", delivery.entryId())
        .put("key", delivery.key())
        .put("write-time-ms", delivery.writeTimeMs())
        .put("attempt", delivery.attempt())
        .put("payload-base64", Base64.getEncoder().encodeToString(delivery.payload().getBytes()))
        .toBuffer().appendString("\n");
    return opened
        .compose(f -> f.write(line).compose(v -> f.flush()))
        .recover(e -> Future.failedFuture(DeliveryException.retryable("jsonl target: appending to " + file + " failed: "
            + e.getMessage())));
  }

  @Override
  public Future<Void> close() {
    return opened == null ? Future.succeededFuture() : opened.compose(AsyncFile::close).otherwiseEmpty().mapEmpty();
  }
}
