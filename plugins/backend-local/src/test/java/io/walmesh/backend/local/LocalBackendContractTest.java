package io.walmesh.backend.local;

import io.vertx.core.json.JsonObject;
import io.walmesh.spi.backend.BackendFactory;
import io.walmesh.testkit.BackendContract;

/** The backend contract on the local log (RocksDB in the test's data directory). */
class LocalBackendContractTest extends BackendContract {

  @Override
  protected BackendFactory newFactory() {
    return new LocalBackendFactory();
  }

  @Override
  protected JsonObject config(String namespace) {
    return new JsonObject();
  }

  @Override
  protected boolean keepsPerKeyOrder() {
    return true;
  }
}
