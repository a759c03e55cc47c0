package dev.vcnn.peers;

/** One engine set up to run one {@link Workload} over and over. */
interface Runner extends AutoCloseable {
    /** Runs the workload once; the result is only there for JMH to consume. */
    Object run();

    /**
     * The output to validate: the operator's output, or for training the logits of the first batch
     * under the initial weights (before any step).
     */
    float[] output();

    @Override
    void close();
}
