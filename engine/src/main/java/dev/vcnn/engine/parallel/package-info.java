/**
 * The engine's own ForkJoin pool, and work splits that depend on the problem size only, so results are
 * the same on any thread count.
 */
package dev.vcnn.engine.parallel;
