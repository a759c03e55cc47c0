/**
 * Loss functions: cross-entropy (with label smoothing), negative log-likelihood, mean squared error,
 * binary cross-entropy with logits.
 */
package dev.vcnn.engine.loss;
