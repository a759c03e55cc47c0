/**
 * Datasets: the synthetic shapes, MNIST-style IDX files, CIFAR-10 binaries and image folders; the
 * batch loader with background prefetch; augmentation.
 */
package dev.vcnn.models.data;
