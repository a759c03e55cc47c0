/** JMH benchmarks of vcnn's kernels, layers and models. */
module dev.vcnn.bench {
    requires dev.vcnn.models;
    requires jdk.incubator.vector;
    requires jmh.core;
    requires com.google.gson;
}
