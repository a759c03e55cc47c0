package dev.vcnn.models;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vcnn.engine.autograd.Functional;
import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.nn.Module;
import dev.vcnn.engine.tensor.SplitMix64;
import dev.vcnn.engine.tensor.Tensor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A kernel's result must not depend on whether the JIT has compiled it yet: the first training pass of a fresh
 * JVM, whose kernels start in the interpreter, gives the gradients of every later pass. A vector reduction whose
 * lane order differs between the interpreter and C2 ({@code reduceLanes(ADD)} in the depthwise weight gradient)
 * made MobileNetV2's first pass differ from the rest. The check runs in a new JVM, since this one's kernels may
 * be compiled already.
 */
class ExecutionModeTest {
    @Test
    void aFreshJvmsFirstTrainingPassEqualsItsLaterOnes() throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse("java");
        var pb = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "-cp",
                System.getProperty("java.class.path"), FirstPass.class.getName(), "mobilenet_v2", "resnet18");
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        assertEquals(0, p.exitValue(), out);
        assertEquals(List.of("mobilenet_v2 same", "resnet18 same"),
                out.lines().filter(l -> l.endsWith(" same") || l.contains(" differs")).toList(), out);
    }

    /** Three training passes of each model from the same weights and data; prints which parameter first differs. */
    public static final class FirstPass {
        public static void main(String[] args) {
            for (String name : args) {
                List<float[]> first = pass(name);
                String verdict = name + " same";
                for (int r = 0; r < 2 && verdict.endsWith("same"); r++) {
                    List<float[]> again = pass(name);
                    for (int i = 0; i < first.size(); i++) {
                        if (!Arrays.equals(first.get(i), again.get(i))) {
                            verdict = name + " differs in gradient " + i + " on pass " + (r + 2);
                            break;
                        }
                    }
                }
                System.out.println(verdict);
            }
        }

        private static List<float[]> pass(String name) {
            Module m = Models.build(name, 3, 32, 10, new java.util.Random(5));
            m.train();
            Tensor x = Tensor.uniform(new SplitMix64(11), -1, 1, 3, 3, 32, 32);
            Variable y = m.forward(Variable.constant(x));
            Tensor r = Tensor.uniform(new SplitMix64(12), -1, 1, y.shape().toArray());
            Functional.sum(Functional.mul(y, Variable.constant(r))).backward();
            List<float[]> grads = new ArrayList<>();
            m.parameters().forEach(p -> grads.add(p.grad().toArray()));
            return grads;
        }
    }
}
