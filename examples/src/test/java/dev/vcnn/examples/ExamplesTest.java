package dev.vcnn.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs every example as its main method would, and checks that it did what it says. */
class ExamplesTest {
    @FunctionalInterface
    interface Program {
        void run() throws Exception;
    }

    /** The program's standard output. */
    private static String output(Program program) throws Exception {
        PrintStream old = System.out;
        var bytes = new ByteArrayOutputStream();
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            program.run();
        } finally {
            System.setOut(old);
        }
        String out = bytes.toString(StandardCharsets.UTF_8);
        old.print(out);
        return out;
    }

    /** The last percentage the output prints. */
    private static double lastPercent(String out) {
        var m = Pattern.compile("([0-9.]+)%").matcher(out);
        double last = Double.NaN;
        while (m.find()) {
            last = Double.parseDouble(m.group(1));
        }
        return last;
    }

    @Test
    void quickStartLearnsTheShapes() throws Exception {
        double accuracy = lastPercent(output(() -> QuickStart.main(new String[0])));
        assertTrue(accuracy >= 80, "quick start test accuracy " + accuracy + "%");
    }

    /**
     * The README's quick start is QuickStart.java's imports and the lines between its two markers, so
     * that the code a user pastes is the code this suite runs.
     */
    @Test
    void readmeQuickStartIsTheTestedCode() throws Exception {
        List<String> source = Files.readAllLines(Path.of("src/main/java/dev/vcnn/examples/QuickStart.java"));
        var expected = new StringBuilder();
        source.stream().filter(l -> l.startsWith("import ")).forEach(l -> expected.append(l).append('\n'));
        expected.append('\n');
        int begin = source.indexOf("        // quick start: begin");
        int end = source.indexOf("        // quick start: end");
        assertTrue(begin >= 0 && end > begin, "QuickStart.java lost its quick-start markers");
        source.subList(begin + 1, end).forEach(l -> expected.append(l.substring(Math.min(8, l.length()))).append('\n'));
        String readme = Files.readString(Path.of("../README.md"));
        int start = readme.indexOf("```java\n", readme.indexOf("## Quick start in Java"));
        assertTrue(start >= 0, "README.md has no java block under '## Quick start in Java'");
        start += "```java\n".length();
        assertEquals(expected.toString(), readme.substring(start, readme.indexOf("```", start)),
                "README.md's quick start differs from examples/.../QuickStart.java");
    }

    @Test
    void customModelLearns() throws Exception {
        double accuracy = lastPercent(output(() -> CustomModel.main(new String[] {"2"})));
        assertTrue(accuracy >= 50, "custom model test accuracy " + accuracy + "%");
    }

    @Test
    void transferLearningTrainsTheHeadOnTheNewClasses(@TempDir Path dir) throws Exception {
        String out = output(() -> TransferLearning.main(new String[] {dir.resolve("run").toString()}));
        assertTrue(out.contains("accuracy on classes [h-stripes, v-stripes, ring, block, checker]"), out);
        double accuracy = lastPercent(out);
        assertTrue(accuracy >= 60, "head accuracy on the new classes " + accuracy + "%");
    }

    @Test
    void pyTorchKeysLoadStrictlyAndAWrongShapeIsNamed() throws Exception {
        String out = output(() -> PyTorchWeights.main(new String[0]));
        assertTrue(out.contains("loaded [0.weight, 0.bias, 3.weight"), out);
        assertTrue(out.contains("does not fit Sequential: mis-shaped keys [0.weight (checkpoint [6, 3, 5, 5], model [6, 1, 5, 5])]"), out);
    }
}
