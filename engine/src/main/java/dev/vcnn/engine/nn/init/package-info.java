/**
 * Weight initialisation as {@code torch.nn.init} does it: uniform, normal, Xavier and Kaiming, with
 * PyTorch's default for each layer.
 */
package dev.vcnn.engine.nn.init;
