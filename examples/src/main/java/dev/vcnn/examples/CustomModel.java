package dev.vcnn.examples;

import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.loss.CrossEntropyLoss;
import dev.vcnn.engine.nn.*;
import dev.vcnn.engine.optim.Adam;
import dev.vcnn.engine.optim.LrSchedule;
import dev.vcnn.models.data.*;
import java.util.Random;

/**
 * A model of your own and a training loop of your own: a small CNN with batch norm and dropout on
 * 3×32×32 colour images, Adam with a cosine schedule, flip and padded-crop augmentation, evaluation per epoch.
 */
public class CustomModel {
    public static void main(String[] args) {
        int epochs = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        var rng = new Random(7);
        var model = new Sequential(
                new Conv2d(3, 16, 3, 1, 1, rng), BatchNorm.batchNorm2d(16), new Activation.ReLU(), new MaxPool2d(2),
                new Conv2d(16, 32, 3, 1, 1, rng), BatchNorm.batchNorm2d(32), new Activation.ReLU(), new MaxPool2d(2),
                new Flatten(), new Dropout(0.25f, 7), new Linear(32 * 8 * 8, 10, rng));
        System.out.println(model); // PyTorch-style printing, with the state-dict key of every layer
        var data = Synthetic.generate(7, 3, 32, 2048, 512);
        float[][] stats = DataLoader.channelStats(data.train());
        var adam = Adam.adam(model.parameters(), 2e-3f);
        var loss = new CrossEntropyLoss();
        try (var loader = new DataLoader(data.train(), 64, true, 7, stats[0], stats[1], new Augment(true, 4, 0, 0))) {
            var schedule = LrSchedule.cosine(epochs, 0);            // per epoch, as PyTorch's CosineAnnealingLR
            for (int epoch = 0; epoch < epochs; epoch++) {
                model.train();
                adam.lr(schedule.lr(2e-3f, epoch));
                double sum = 0;
                for (var batches = loader.epoch(epoch); batches.hasNext(); ) {
                    var batch = batches.next();
                    adam.zeroGrad();
                    var l = loss.apply(model.forward(Variable.constant(batch.images())), batch.labels());
                    l.backward();
                    adam.step();
                    sum += l.item();
                }
                System.out.printf("epoch %d: train loss %.4f, test accuracy %.1f%%%n", epoch + 1,
                        sum / loader.batches(), 100 * Examples.accuracy(model, data.test(), stats));
            }
        }
    }
}
