/**
 * The classic architectures by name (MLP, LeNet-5, the CIFAR CNN, VGG, autoencoders) and the layers
 * they need beyond the engine's.
 */
package dev.vcnn.models;
