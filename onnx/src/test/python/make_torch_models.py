# Writes models exported by PyTorch under src/test/resources/dev/vcnn/onnx/torch/: small networks of the shapes
# torchvision's classification CNNs and the tutorials use (ResNet basic and bottleneck blocks with downsample
# shortcuts, MobileNetV2's inverted residuals, a tutorial CNN flattening with x.view(x.size(0), -1), an
# autoencoder with ConvTranspose2d and Upsample), each by the TorchScript exporter (opset 17, dynamic batch) and
# by the dynamo exporter (opset 18) (MobileNetV2 also unfolded, keeping its BatchNormalization nodes), with PyTorch's own outputs for a batch of 3 as test_data_set_0. The batch
# the model was traced with is 2, so a dynamic batch must really work. Run from the onnx module with torch,
# onnx and onnxscript (torch 2.13.0 made the committed files):  python3 src/test/python/make_torch_models.py
import os, shutil
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import numpy_helper

OUT = os.path.join(os.path.dirname(__file__), "..", "resources", "dev", "vcnn", "onnx", "torch")
torch.manual_seed(2026)


class Basic(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        idt = x if self.downsample is None else self.downsample(x)
        y = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(y)) + idt)


class Bottleneck(nn.Module):
    def __init__(self, cin, mid, stride):
        super().__init__()
        cout = mid * 4
        self.conv1 = nn.Conv2d(cin, mid, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(mid)
        self.conv2 = nn.Conv2d(mid, mid, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(mid)
        self.conv3 = nn.Conv2d(mid, cout, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(cout)
        self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)))
        return F.relu(self.bn3(self.conv3(y)) + self.downsample(x))


class TinyResNet(nn.Module):
    def __init__(self, bottleneck):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        if bottleneck:
            self.layer1 = Bottleneck(8, 4, 1)
            self.layer2 = Bottleneck(16, 8, 2)
            width = 32
        else:
            self.layer1 = Basic(8, 8, 1)
            self.layer2 = Basic(8, 16, 2)
            width = 16
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(width, 10)

    def forward(self, x):
        x = self.maxpool(F.relu(self.bn1(self.conv1(x))))
        x = self.layer2(self.layer1(x))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hidden = cin * expand
        self.use_res = stride == 1 and cin == cout
        self.conv = nn.Sequential(
            nn.Conv2d(cin, hidden, 1, bias=False), nn.BatchNorm2d(hidden), nn.ReLU6(),
            nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False), nn.BatchNorm2d(hidden), nn.ReLU6(),
            nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        return x + self.conv(x) if self.use_res else self.conv(x)


class TinyMobileNetV2(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU6()),
            InvertedResidual(8, 8, 1, 1), InvertedResidual(8, 12, 2, 6), InvertedResidual(12, 12, 1, 6),
            nn.Sequential(nn.Conv2d(12, 32, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU6()))
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(32, 10))

    def forward(self, x):
        x = F.adaptive_avg_pool2d(self.features(x), (1, 1))
        return self.classifier(torch.flatten(x, 1))


class TutorialCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 4 * 4, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.avg_pool2d(torch.tanh(self.conv2(x)), 2)
        x = x.view(x.size(0), -1)
        x = F.leaky_relu(self.fc1(x), 0.1)
        return F.log_softmax(self.fc2(x), dim=1)


class AutoEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Sequential(nn.Conv2d(1, 4, 3, 2, 1), nn.Hardswish(), nn.Conv2d(4, 8, 3, 2, 1), nn.GELU())
        self.dec1 = nn.ConvTranspose2d(8, 4, 3, 2, 1, output_padding=1)
        self.up = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)
        self.near = nn.Upsample(scale_factor=2, mode="nearest")
        self.out = nn.Conv2d(4, 1, 3, 1, 1)

    def forward(self, x):
        h = self.enc(x)
        y = F.sigmoid(self.dec1(h))
        y = self.up(y) + self.near(y)
        return torch.sigmoid(self.out(y))


def randomise_bn(m):
    for mod in m.modules():
        if isinstance(mod, nn.BatchNorm2d):
            with torch.no_grad():
                mod.running_mean.uniform_(-0.5, 0.5)
                mod.running_var.uniform_(0.5, 1.5)
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.uniform_(-0.3, 0.3)


def save(name, model, shape, exporters=("torchscript", "dynamo")):
    model.eval()
    randomise_bn(model)
    trace = torch.randn(2, *shape)
    x = torch.randn(3, *shape)
    with torch.no_grad():
        y = model(x).numpy()
    for exporter in exporters:
        d = os.path.join(OUT, f"{name}_{exporter}")
        os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
        path = os.path.join(d, "model.onnx")
        if exporter.startswith("torchscript"):  # "torchscript_unfolded" keeps BatchNormalization nodes
            torch.onnx.export(model, (trace,), path, dynamo=False, opset_version=17, input_names=["input"],
                              output_names=["output"], dynamic_axes={"input": {0: "N"}, "output": {0: "N"}},
                              do_constant_folding=exporter == "torchscript")
        else:
            torch.onnx.export(model, (trace,), path, dynamo=True, opset_version=18, input_names=["input"],
                              output_names=["output"], dynamic_shapes=({0: torch.export.Dim("N", min=1)},),
                              external_data=False)
        with open(os.path.join(d, "test_data_set_0", "input_0.pb"), "wb") as f:
            f.write(numpy_helper.from_array(x.numpy(), "input").SerializeToString())
        with open(os.path.join(d, "test_data_set_0", "output_0.pb"), "wb") as f:
            f.write(numpy_helper.from_array(y, "output").SerializeToString())


shutil.rmtree(OUT, ignore_errors=True)
save("resnet_basic", TinyResNet(False), (3, 32, 32))
save("resnet_bottleneck", TinyResNet(True), (3, 32, 32))
save("mobilenet_v2", TinyMobileNetV2(), (3, 32, 32), ("torchscript", "dynamo", "torchscript_unfolded"))
save("tutorial_cnn", TutorialCnn(), (1, 28, 28))
save("autoencoder", AutoEncoder(), (1, 16, 16))
print(sorted(os.listdir(OUT)))
