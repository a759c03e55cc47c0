package dev.vcnn.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code vcnn}: the command-line entry point. Exit codes: 0 success, 1 failure, 2 usage error. */
@Command(name = "vcnn", mixinStandardHelpOptions = true, version = "vcnn 0.1.0",
        description = "A pure-JVM engine for convolutional neural networks.",
        subcommands = {TrainCommand.class, EvalCommand.class, PredictCommand.class, VisualizeCommand.class, ExperimentCommand.class, InfoCommand.class,
                OnnxCommand.class, DoctorCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Runs the command line and returns its exit code. */
    public static int run(String... args) {
        return commandLine().execute(args);
    }

    static CommandLine commandLine() {
        var cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            // Expected failures (bad files, bad shapes) print one line, not a stack trace.
            if (e instanceof IllegalArgumentException || e instanceof IllegalStateException
                    || e instanceof java.io.IOException) {
                cmd.getErr().println("vcnn: " + e.getMessage());
                return 1;
            }
            throw e;
        });
        return cl;
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }
}
