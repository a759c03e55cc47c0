/**
 * The training loop behind {@code vcnn train}: recipes, checkpoints that resume to the same bits,
 * metrics, evaluation and finished runs.
 */
package dev.vcnn.models.train;
