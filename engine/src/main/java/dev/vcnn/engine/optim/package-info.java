/**
 * Optimizers (SGD with momentum and Nesterov, Adam, AdamW), their state dicts, and learning-rate
 * schedules.
 */
package dev.vcnn.engine.optim;
