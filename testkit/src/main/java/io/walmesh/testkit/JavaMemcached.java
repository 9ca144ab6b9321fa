package io.walmesh.testkit;

import com.thimbleware.jmemcached.Cache;
import com.thimbleware.jmemcached.CacheImpl;
import com.thimbleware.jmemcached.Key;
import com.thimbleware.jmemcached.LocalCacheElement;
import com.thimbleware.jmemcached.MemCacheDaemon;
import com.thimbleware.jmemcached.storage.CacheStorage;
import com.thimbleware.jmemcached.storage.hash.ConcurrentLinkedHashMap;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.InetSocketAddress;

/**
 * The pure-Java memcached (jmemcached) behind {@link Memcached} when no binary is installed; loaded
 * only then. One fix makes it behave like memcached: jmemcached's {@code add} fails on an expired
 * item that {@code get} no longer returns; here an expired item is removed first (all cache calls
 * are serialized so that this stays atomic).
 */
final class JavaMemcached {
  private final MemCacheDaemon<LocalCacheElement> daemon;

  private JavaMemcached(MemCacheDaemon<LocalCacheElement> daemon) {
    this.daemon = daemon;
  }

  /** Starts an empty text-protocol server on 127.0.0.1:{@code port} holding up to 64 MB. */
  static JavaMemcached start(int port) {
    CacheStorage<Key, LocalCacheElement> storage = ConcurrentLinkedHashMap.create(
        ConcurrentLinkedHashMap.EvictionPolicy.LRU, 1_000_000, 64L * 1024 * 1024);
    MemCacheDaemon<LocalCacheElement> daemon = new MemCacheDaemon<>();
    daemon.setCache(addIgnoresExpired(new CacheImpl(storage)));
    daemon.setBinary(false);
    daemon.setAddr(new InetSocketAddress("127.0.0.1", port));
    daemon.setIdleTime(3_600);
    daemon.setVerbose(false);
    daemon.start();
    return new JavaMemcached(daemon);
  }

  @SuppressWarnings("unchecked")
  private static Cache<LocalCacheElement> addIgnoresExpired(Cache<LocalCacheElement> cache) {
    Object lock = new Object();
    return (Cache<LocalCacheElement>) Proxy.newProxyInstance(JavaMemcached.class.getClassLoader(),
        new Class<?>[] {Cache.class}, (proxy, method, args) -> {
          synchronized (lock) {
            try {
              if (method.getName().equals("add")) {
                LocalCacheElement element = (LocalCacheElement) args[0];
                LocalCacheElement[] current = cache.get(element.getKey());
                if (current == null || current.length == 0 || current[0] == null) {
                  cache.delete(element.getKey(), 0);
                }
              }
              return method.invoke(cache, args);
            } catch (InvocationTargetException e) {
              throw e.getCause();
            }
          }
        });
  }

  /** Stops the server and drops its data. */
  void stop() {
    if (daemon.isRunning()) {
      daemon.stop();
    }
  }
}
