package dev.vcnn.examples;

import dev.vcnn.engine.autograd.*;
import dev.vcnn.engine.io.SafeTensors;
import dev.vcnn.engine.loss.CrossEntropyLoss;
import dev.vcnn.engine.nn.*;
import dev.vcnn.engine.optim.Sgd;
import dev.vcnn.models.data.*;
import java.nio.file.*;
import java.util.Random;

/** The README's quick start: LeNet-5 from layers, three epochs of SGD, save, load, predict. */
public class QuickStart {
    public static void main(String[] args) throws Exception {
        // quick start: begin
        var rng = new Random(1);
        var model = new Sequential(
                new Conv2d(1, 6, 5, 1, 2, rng), new Activation.ReLU(), new MaxPool2d(2),
                new Conv2d(6, 16, 5, 1, 0, rng), new Activation.ReLU(), new MaxPool2d(2),
                new Flatten(), new Linear(16 * 5 * 5, 120, rng), new Activation.ReLU(),
                new Linear(120, 84, rng), new Activation.ReLU(), new Linear(84, 10, rng));
        var data = Synthetic.generate(1, 1, 28, 6000, 500);    // ten drawn shapes, 28×28 grey
        float[][] stats = DataLoader.channelStats(data.train()); // per-channel mean and std
        var loss = new CrossEntropyLoss();
        var sgd = new Sgd(model.parameters(), 0.02f, 0.9f, 0, 0, true);
        try (var loader = new DataLoader(data.train(), 64, true, 1, stats[0], stats[1], Augment.NONE)) {
            for (int epoch = 0; epoch < 3; epoch++) {
                for (var batches = loader.epoch(epoch); batches.hasNext(); ) {
                    var batch = batches.next();
                    sgd.zeroGrad();
                    loss.apply(model.forward(Variable.constant(batch.images())), batch.labels()).backward();
                    sgd.step();
                }
            }
        }
        Path file = Files.createTempDirectory("vcnn").resolve("lenet5.safetensors");
        SafeTensors.write(file, model.stateDict());               // PyTorch's keys: 0.weight, 0.bias, …
        model.loadStateDict(SafeTensors.read(file), true);
        var test = DataLoader.all(data.test(), stats[0], stats[1]);
        int[] predicted = Functional.argmax(Autograd.noGrad(() -> model.eval().forward(Variable.constant(test)).value()));
        System.out.println("first test image: " + data.test().classes().get(predicted[0]));
        // quick start: end
        System.out.printf("test accuracy %.1f%%%n", 100 * Examples.accuracy(model, data.test(), stats));
    }
}
