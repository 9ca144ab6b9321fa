/**
 * The walmesh plugin SPI: the only API a backend or target plugin compiles against.
 * Implementations are discovered with {@link java.util.ServiceLoader} through
 * {@link io.walmesh.spi.backend.BackendFactory} and {@link io.walmesh.spi.target.TargetFactory}.
 */
package io.walmesh.spi;
