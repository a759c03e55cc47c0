package dev.vcnn.spark;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/** Batch inference over a folder of images: Spark's {@code binaryFile} source through {@link ImageClassifier}. */
public final class BatchInference {
    private BatchInference() {}

    /** Every image file under {@code images} (sub-folders included), as rows of path, modificationTime, length, content. */
    public static Dataset<Row> images(SparkSession session, String images) {
        return session.read().format("binaryFile")
                .option("recursiveFileLookup", "true")
                .option("pathGlobFilter", "*.{png,PNG,jpg,JPG,jpeg,JPEG,bmp,BMP,gif,GIF}")
                .load(images);
    }

    /** The classified rows: path and the top classes, in the format of {@code vcnn predict --json}. */
    public static Dataset<Row> predict(SparkSession session, String run, String images, int top, int batchSize) {
        return new ImageClassifier().setRun(run).setTop(top).setBatchSize(batchSize)
                .transform(images(session, images)).select("path", "top");
    }

    /**
     * Writes {@link #predict} to {@code out} as JSON lines or Parquet and returns how many images it classified. The
     * job writes into a hidden sibling folder renamed to {@code out} once it has succeeded, so a failed job leaves
     * nothing at {@code out}.
     *
     * @throws IllegalArgumentException when {@code out} exists
     */
    public static long write(SparkSession session, String run, String images, String out, String format, int top,
                             int batchSize) throws java.io.IOException {
        var target = new org.apache.hadoop.fs.Path(out);
        var fs = target.getFileSystem(session.sparkContext().hadoopConfiguration());
        if (fs.exists(target)) {
            throw new IllegalArgumentException("spark predict: the output folder must not exist but " + out + " does");
        }
        var partial = new org.apache.hadoop.fs.Path(target.getParent(), "." + target.getName() + ".writing-"
                + java.util.UUID.randomUUID());
        Dataset<Row> rows = predict(session, run, images, top, batchSize).cache();
        boolean done = false;
        try {
            if (format.equals("parquet")) {
                rows.write().parquet(partial.toString());
            } else {
                rows.write().json(partial.toString());
            }
            long n = rows.count();
            if (!fs.rename(partial, target)) {
                throw new java.io.IOException("spark predict: could not rename " + partial + " to " + target);
            }
            done = true;
            return n;
        } finally {
            rows.unpersist();
            if (!done) {
                fs.delete(partial, true);
            }
        }
    }
}
