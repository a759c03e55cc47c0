/** The {@code vcnn} command line. */
module dev.vcnn.cli {
    requires dev.vcnn.models;
    requires dev.vcnn.onnx;
    requires info.picocli;

    opens dev.vcnn.cli to info.picocli;
}
