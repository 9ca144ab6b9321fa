package io.walmesh.node.plugin;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.walmesh.spi.PluginContext;
import io.walmesh.spi.config.ConfigException;
import io.walmesh.spi.target.Delivery;
import io.walmesh.spi.target.DeliveryException;
import io.walmesh.spi.target.Target;
import io.walmesh.spi.target.TargetFactory;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A hot-loaded plugin's target factory as the node sees it: every call runs under the plugin's
 * class loader, an exception thrown by plugin code becomes a failed future (a retryable delivery
 * failure, or a start failure) instead of escaping into the node, and every target it creates is
 * recorded so that unloading the plugin closes what its namespaces left open.
 */
final class IsolatedTargetFactory implements TargetFactory {
  private final TargetFactory delegate;
  private final ClassLoader loader;
  private final String plugin;
  private final Set<IsolatedTarget> created = ConcurrentHashMap.newKeySet();

  IsolatedTargetFactory(TargetFactory delegate, ClassLoader loader, String plugin) {
    this.delegate = delegate;
    this.loader = loader;
    this.plugin = plugin;
  }

  @Override
  public String type() {
    return delegate.type();
  }

  @Override
  public String description() {
    try (LoaderSwap ignored = new LoaderSwap(loader)) {
      return delegate.description() + " (plugin " + plugin + ")";
    }
  }

  @Override
  public java.util.Set<String> secretFields() {
    try (LoaderSwap ignored = new LoaderSwap(loader)) {
      java.util.Set<String> fields = delegate.secretFields();
      return fields == null ? java.util.Set.of() : java.util.Set.copyOf(fields);
    } catch (RuntimeException | LinkageError e) {
      return java.util.Set.of(); // the field names that always count as secret still apply
    }
  }

  @Override
  public Future<Void> init(PluginContext context) {
    try (LoaderSwap ignored = new LoaderSwap(loader)) {
      return delegate.init(context);
    } catch (RuntimeException | LinkageError e) {
      return Future.failedFuture(new PluginException(PluginException.Kind.FAILED_START, "plugin " + plugin
          + ": target type " + type() + " failed to start: " + e));
    }
  }

  @Override
  public void validate(JsonObject config, String configPath) {
    try (LoaderSwap ignored = new LoaderSwap(loader)) {
      delegate.validate(config, configPath);
    } catch (ConfigException e) {
      throw e;
    } catch (RuntimeException | LinkageError e) {
      throw new ConfigException(configPath, "plugin " + plugin + " could not check this config: " + e);
    }
  }

  @Override
  public Target create(PluginContext context, String name, JsonObject config) {
    try (LoaderSwap ignored = new LoaderSwap(loader)) {
      IsolatedTarget target = new IsolatedTarget(delegate.create(context, name, config), name);
      created.add(target);
      return target;
    } catch (LinkageError e) {
      throw new IllegalStateException("plugin " + plugin + " could not create target " + name + ": " + e, e);
    }
  }

  /** Closes targets still open, then the factory. */
  @Override
  public Future<Void> close() {
    Future<Void> targets = Future.join(created.stream().map(IsolatedTarget::close).toList()).mapEmpty();
    return targets.transform(ignored -> {
      try (LoaderSwap swap = new LoaderSwap(loader)) {
        return delegate.close();
      } catch (RuntimeException | LinkageError e) {
        return Future.failedFuture(e);
      }
    });
  }

  /** A target created by the plugin, called under its class loader. */
  private final class IsolatedTarget implements Target {
    private final Target delegate;
    private final String name;

    IsolatedTarget(Target delegate, String name) {
      this.delegate = delegate;
      this.name = name;
    }

    @Override
    public Future<Void> deliver(Delivery delivery) {
      try (LoaderSwap ignored = new LoaderSwap(loader)) {
        Future<Void> result = delegate.deliver(delivery);
        return result != null ? result : Future.failedFuture(DeliveryException.retryable("plugin " + plugin
            + " target " + name + " returned no future"));
      } catch (DeliveryException e) {
        return Future.failedFuture(e);
      } catch (RuntimeException | LinkageError e) {
        return Future.failedFuture(DeliveryException.retryable("plugin " + plugin + " target " + name + " threw " + e));
      }
    }

    @Override
    public Future<Void> close() {
      if (!created.remove(this)) {
        return Future.succeededFuture();
      }
      try (LoaderSwap ignored = new LoaderSwap(loader)) {
        return delegate.close();
      } catch (RuntimeException | LinkageError e) {
        return Future.failedFuture(e);
      }
    }
  }
}
