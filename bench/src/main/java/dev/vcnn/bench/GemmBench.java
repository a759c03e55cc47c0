package dev.vcnn.bench;

import org.openjdk.jmh.annotations.Param;

/** Square sgemm C = A·B, n×n. */
public class GemmBench extends GemmCaseBench {
    @Param({"64", "128", "256", "512", "1024", "2048"})
    public int n;

    @Override
    protected GemmCase problem() {
        return new GemmCase(false, false, n, n, n);
    }
}
