package io.walmesh.node.admin;

import static io.walmesh.node.admin.AdminVerticle.error;
import static io.walmesh.node.admin.AdminVerticle.json;
import static io.walmesh.node.admin.AdminVerticle.refuse;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import io.walmesh.node.plugin.PluginManager;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /v1/plugins}: plugin jars streamed to a file in the data directory, never into
 * memory, with the size limit enforced while streaming and a bound on uploads at once. Used on the
 * admin verticle's event loop only.
 */
final class PluginUploads {
  private static final Logger log = LoggerFactory.getLogger(PluginUploads.class);
  private final Vertx vertx;
  private final PluginManager plugins;
  private final int maxConcurrentUploads;
  /** Plugin uploads streaming or installing now. */
  private int uploads;

  PluginUploads(Vertx vertx, PluginManager plugins, int maxConcurrentUploads) {
    this.vertx = vertx;
    this.plugins = plugins;
    this.maxConcurrentUploads = maxConcurrentUploads;
  }

  /**
   * {@code POST /v1/plugins}: the body, with any content type or none, is the jar. It streams to a
   * file in the data directory (never into memory) and is refused with 413 as soon as it is over the
   * plugins' max-jar-bytes, the file deleted and the connection closed; at most
   * {@code max-concurrent-uploads} uploads run at once, more get 429.
   */
  void upload(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    request.pause();
    io.walmesh.node.plugin.PluginManager.UploadLimit uploadLimit = plugins.uploadLimit();
    long limit = uploadLimit.bytes();
    String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (length != null) {
      long declared;
      try {
        declared = Long.parseLong(length.trim());
      } catch (NumberFormatException e) {
        refuse(ctx, 400, "Content-Length is not a number");
        return;
      }
      if (declared > limit) {
        refuse(ctx, 413, uploadTooLarge(uploadLimit));
        return;
      }
    }
    if (uploads >= maxConcurrentUploads) {
      ctx.response().putHeader("Retry-After", "5");
      refuse(ctx, 429, "too many plugin uploads at once: at most " + maxConcurrentUploads
          + " may run at a time; retry when one finished");
      return;
    }
    uploads++;
    new Upload(ctx, uploadLimit).start();
  }

  private static String uploadTooLarge(io.walmesh.node.plugin.PluginManager.UploadLimit limit) {
    return "plugin jar over " + limit.bytes() + " bytes (the plugins' " + limit.setting() + " limit"
        + (limit.why() == null ? "" : ": " + limit.why()) + "); the upload was refused";
  }

  /** One plugin upload streaming to a file. Its callbacks all run on this verticle's event loop. */
  private final class Upload {
    private final RoutingContext ctx;
    private final HttpServerRequest request;
    private final io.walmesh.node.plugin.PluginManager.UploadLimit limit;
    private Path file;
    private AsyncFile out;
    private long received;
    /** Refused, failed or the client went away: the rest of the body is ignored. */
    private boolean stopped;
    private boolean released;

    Upload(RoutingContext ctx, io.walmesh.node.plugin.PluginManager.UploadLimit limit) {
      this.ctx = ctx;
      this.request = ctx.request();
      this.limit = limit;
    }

    void start() {
      vertx.executeBlocking(plugins::newUploadFile)
          .compose(path -> {
            file = path;
            return vertx.fileSystem().open(path.toString(), new OpenOptions().setWrite(true).setTruncateExisting(true));
          })
          .onFailure(e -> stop(500, e))
          .onSuccess(opened -> {
            out = opened;
            out.exceptionHandler(e -> stop(500, e));
            request.handler(this::chunk);
            request.endHandler(v -> ended());
            request.exceptionHandler(e -> stop(0, e));
            ctx.response().closeHandler(v -> stop(0, null));
            if ("100-continue".equalsIgnoreCase(request.getHeader(HttpHeaders.EXPECT))) {
              ctx.response().writeContinue();
            }
            request.resume();
          });
    }

    private void chunk(Buffer data) {
      if (stopped) {
        return;
      }
      received += data.length();
      if (received > limit.bytes()) {
        stop(413, null);
        return;
      }
      out.write(data);
      if (out.writeQueueFull()) {
        request.pause();
        out.drainHandler(v -> {
          if (!stopped) {
            request.resume();
          }
        });
      }
    }

    private void ended() {
      if (stopped) {
        return;
      }
      stopped = true;
      out.close().onComplete(closed -> {
        if (closed.failed()) {
          cleanUp();
          ctx.fail(closed.cause());
        } else if (received == 0) {
          cleanUp();
          error(ctx, 400, "the request body must be the plugin jar (e.g. curl --data-binary @plugin.jar)");
        } else {
          // installUpload moves the file into the plugins directory, or deletes it; errors name the
          // jar by the client's ?filename= (walmesh plugins install sends it), never by the temp file
          plugins.installUpload(file, ctx.queryParams().get("filename")).onComplete(ar -> {
            release();
            if (ar.succeeded()) {
              json(ctx, 201, ar.result());
            } else {
              ctx.fail(ar.cause());
            }
          });
        }
      });
    }

    /** Stops reading, deletes the file, answers {@code status} (0: no answer, the client is gone). */
    private void stop(int status, Throwable cause) {
      if (stopped) {
        return;
      }
      stopped = true;
      request.pause();
      if (cause != null && status != 0) {
        log.error("Plugin upload failed after {} bytes", received, cause);
      }
      if (out == null) {
        cleanUp();
      } else {
        out.close().onComplete(ignored -> cleanUp());
      }
      if (status == 413) {
        refuse(ctx, 413, uploadTooLarge(limit));
      } else if (status != 0) {
        refuse(ctx, status, "internal error storing the upload; the node's log has the details");
      }
    }

    private void cleanUp() {
      if (file != null) {
        vertx.fileSystem().delete(file.toString()).onFailure(e -> log.warn("Could not delete upload {}: {}", file,
            e.getMessage()));
      }
      release();
    }

    private void release() {
      if (!released) {
        released = true;
        uploads--;
      }
    }
  }

}
