/**
 * Tensors: dense row-major float arrays with a shape, and the argument checks whose messages name what
 * is wrong.
 */
package dev.vcnn.engine.tensor;
