package io.walmesh.node.mesh;

import com.hazelcast.core.EntryEvent;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryRemovedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * The mesh's plugin jars ({@value Mesh#PLUGINS}), sealed with the mesh secret. A removed plugin
 * leaves a tombstone (an empty jar); a jar that does not open with the secret, or a deletion, is
 * refused and reported, and nothing in it is loaded.
 */
final class MeshPlugins {
  private static final String PLUGINS = Mesh.PLUGINS;
  private final Vertx vertx;
  private final IMap<String, byte[]> pluginJars;
  private final MeshTrust trust;
  private final MeshSeal seal;

  MeshPlugins(Vertx vertx, IMap<String, byte[]> pluginJars, MeshTrust trust) {
    this.vertx = vertx;
    this.pluginJars = pluginJars;
    this.trust = trust;
    this.seal = trust.seal();
  }

  /**
   * The plugin jars of the mesh, by plugin id, read on a worker; an empty array is a removed
   * plugin's tombstone (so a node that was away while it was removed removes it too). Jars not
   * sealed with the mesh secret are left out (refused and reported).
   */
  Future<Map<String, byte[]>> pluginJars() {
    return vertx.executeBlocking(() -> {
      Map<String, byte[]> out = new LinkedHashMap<>();
      for (Map.Entry<String, byte[]> entry : pluginJars.entrySet()) {
        byte[] jar = openJar(entry.getKey(), entry.getValue());
        if (jar != null) {
          out.put(entry.getKey(), jar);
        }
      }
      return out;
    });
  }

  private byte[] openJar(String id, byte[] stored) {
    try {
      return seal.open(PLUGINS, id, stored);
    } catch (MeshSeal.Refused e) {
      trust.refuse(PLUGINS, id, e.getMessage() + "; the jar is not installed");
      return null;
    }
  }

  /** Makes a plugin jar the mesh's version of its plugin; every node installs it. */
  Future<Void> publishPlugin(String id, byte[] jar) {
    return vertx.executeBlocking(() -> {
      pluginJars.set(id, seal.seal(PLUGINS, id, jar));
      return null;
    });
  }

  /** Removes a plugin from the mesh, leaving a tombstone; every node unloads it. */
  Future<Void> unpublishPlugin(String id) {
    return vertx.executeBlocking(() -> {
      pluginJars.set(id, seal.seal(PLUGINS, id, new byte[0]));
      return null;
    });
  }

  /**
   * Calls {@code onChange} on {@code context} with (id, jar) when a plugin is published, (id, empty
   * jar) when removed. Jars that do not open with the secret, and deletions (walmesh writes
   * tombstones, never deletes), are refused and reported instead.
   */
  void listenPlugins(Context context, BiConsumer<String, byte[]> onChange) {
    pluginJars.addEntryListener(new PluginListener(context, onChange), true);
  }

  private final class PluginListener implements EntryAddedListener<String, byte[]>,
      EntryUpdatedListener<String, byte[]>, EntryRemovedListener<String, byte[]> {
    private final Context context;
    private final BiConsumer<String, byte[]> onChange;

    PluginListener(Context context, BiConsumer<String, byte[]> onChange) {
      this.context = context;
      this.onChange = onChange;
    }

    @Override
    public void entryAdded(EntryEvent<String, byte[]> event) {
      changed(event);
    }

    @Override
    public void entryUpdated(EntryEvent<String, byte[]> event) {
      changed(event);
    }

    private void changed(EntryEvent<String, byte[]> event) {
      byte[] jar = openJar(event.getKey(), event.getValue());
      if (jar != null) {
        context.runOnContext(v -> onChange.accept(event.getKey(), jar));
      }
    }

    @Override
    public void entryRemoved(EntryEvent<String, byte[]> event) {
      trust.refuse(PLUGINS, event.getKey(), "deleted from the map, which walmesh never does (it writes a tombstone);"
          + " plugins stay as they are");
    }
  }
}
