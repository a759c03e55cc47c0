/**
 * Layers shaped like PyTorch's {@code torch.nn}: modules with PyTorch's state-dict keys and printing,
 * {@link dev.vcnn.engine.nn.Sequential}, convolution, linear, pooling, activations, dropout and batch
 * norm.
 */
package dev.vcnn.engine.nn;
