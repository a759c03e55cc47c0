/**
 * The experiments behind {@code vcnn experiment}: initialisation schemes, transfer learning,
 * autoencoders.
 */
package dev.vcnn.models.experiments;
