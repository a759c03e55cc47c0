/**
 * vcnn on Apache Spark: synchronous data-parallel training ({@link dev.vcnn.spark.DataParallelTrainer}), featurize-once
 * transfer learning ({@link dev.vcnn.spark.FeaturizedTransfer}), batch inference as a Spark ML transformer
 * ({@link dev.vcnn.spark.ImageClassifier}, {@link dev.vcnn.spark.BatchInference}) and the {@code vcnn spark} command
 * line ({@link dev.vcnn.spark.SparkMain}). Only Spark's public API is used; Spark itself is the cluster's.
 */
package dev.vcnn.spark;
