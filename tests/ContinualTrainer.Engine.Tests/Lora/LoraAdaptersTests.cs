using System.Text.Json.Nodes;
using ContinualTrainer.Engine.IO;
using ContinualTrainer.Engine.Lora;
using ContinualTrainer.Engine.Model;
using ContinualTrainer.Engine.Tests.IO;
using ContinualTrainer.Engine.Tests.Kernels;
using ContinualTrainer.Engine.Tests.Model;

namespace ContinualTrainer.Engine.Tests.Lora;

public sealed class LoraAdaptersTests
{
    private static LoraAdapters RandomAdapters(ModelConfig config, LoraConfig lora)
    {
        var adapters = new LoraAdapters(config, lora);
        foreach (var m in adapters.Modules)
        {
            TestData.Uniform(100 + m.Index, (int)m.A.Length, 0.3f).CopyTo(m.A.Span);
            TestData.Uniform(200 + m.Index, (int)m.B.Length, 0.3f).CopyTo(m.B.Span);
        }
        return adapters;
    }

    [Fact]
    public void Peft_save_and_load_round_trip_every_adapter_and_the_config()
    {
        using var dir = new TempDirectory();
        var config = new LoraConfig(3, 6, LoraTargets.Q | LoraTargets.V | LoraTargets.Down, UseRsLora: true, Dropout: 0.05);
        using var saved = RandomAdapters(TinyConfigs.Qwen3Like, config);
        PeftAdapter.Save(saved, dir.Path);

        using var loaded = PeftAdapter.Load(dir.Path, TinyConfigs.Qwen3Like);
        Assert.Equal(config, loaded.Config);
        Assert.Equal(saved.Modules.Select(m => m.Name), loaded.Modules.Select(m => m.Name));
        foreach (var (a, b) in saved.Modules.Zip(loaded.Modules))
        {
            Assert.True(a.A.Span.SequenceEqual(b.A.Span), a.Name + " A");
            Assert.True(a.B.Span.SequenceEqual(b.B.Span), a.Name + " B");
        }
    }

    [Fact]
    public void Saved_files_use_peft_keys_and_config_fields()
    {
        using var dir = new TempDirectory();
        using var adapters = RandomAdapters(TinyConfigs.Qwen3Like, new LoraConfig(2, 4, LoraTargets.K | LoraTargets.Gate));
        PeftAdapter.Save(adapters, dir.Path);

        using (var file = SafeTensorsFile.Open(dir.File(PeftAdapter.WeightsFile)))
        {
            Assert.Equal(
                new[] { "base_model.model.model.layers.0.mlp.gate_proj.lora_A.weight", "base_model.model.model.layers.0.mlp.gate_proj.lora_B.weight",
                    "base_model.model.model.layers.0.self_attn.k_proj.lora_A.weight", "base_model.model.model.layers.0.self_attn.k_proj.lora_B.weight" },
                file.Tensors.Keys.Where(k => k.Contains("layers.0.")).Order(StringComparer.Ordinal));
            Assert.Equal([2L, 32], file.Tensors["base_model.model.model.layers.1.self_attn.k_proj.lora_A.weight"].Shape);
            Assert.Equal([48L, 2], file.Tensors["base_model.model.model.layers.1.mlp.gate_proj.lora_B.weight"].Shape);
        }
        var json = JsonNode.Parse(File.ReadAllText(dir.File(PeftAdapter.ConfigFile)))!;
        Assert.Equal("LORA", (string?)json["peft_type"]);
        Assert.Equal("CAUSAL_LM", (string?)json["task_type"]);
        Assert.Equal(2, (int)json["r"]!);
        Assert.Equal(4.0, (double)json["lora_alpha"]!);
        Assert.Equal(["k_proj", "gate_proj"], json["target_modules"]!.AsArray().Select(n => (string)n!));
        Assert.False((bool)json["use_rslora"]!);
        Assert.Equal("none", (string?)json["bias"]);
    }

    [Fact]
    public void Loading_refuses_adapters_whose_shapes_do_not_fit_the_model()
    {
        using var dir = new TempDirectory();
        using (var adapters = RandomAdapters(TinyConfigs.Qwen3Like, new LoraConfig(2, 4, LoraTargets.Q)))
            PeftAdapter.Save(adapters, dir.Path);
        var wider = TinyConfigs.Qwen3Like with { HiddenSize = 40 };
        var error = Assert.Throws<PeftAdapterException>(() => PeftAdapter.Load(dir.Path, wider));
        Assert.Contains("tensor 'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight' has shape [2, 32], the model needs [2, 40]", error.Message);
    }

    [Fact]
    public void Loading_refuses_a_config_that_targets_a_module_the_file_lacks()
    {
        using var dir = new TempDirectory();
        using (var adapters = RandomAdapters(TinyConfigs.Qwen3Like, new LoraConfig(2, 4, LoraTargets.Q | LoraTargets.V)))
            PeftAdapter.Save(adapters, dir.Path);
        var configPath = dir.File(PeftAdapter.ConfigFile);
        File.WriteAllText(configPath, File.ReadAllText(configPath).Replace("\"v_proj\"", "\"v_proj\", \"up_proj\""));
        var error = Assert.Throws<PeftAdapterException>(() => PeftAdapter.Load(dir.Path, TinyConfigs.Qwen3Like));
        Assert.Contains("tensor 'base_model.model.model.layers.0.mlp.up_proj.lora_A.weight' is missing", error.Message);
        Assert.Contains(PeftAdapter.WeightsFile, error.Message);
    }

    [Fact]
    public void Loading_refuses_tensors_of_layers_the_model_does_not_have()
    {
        using var dir = new TempDirectory();
        using (var adapters = RandomAdapters(TinyConfigs.Qwen3Like with { NumLayers = 3 }, new LoraConfig(2, 4, LoraTargets.O)))
            PeftAdapter.Save(adapters, dir.Path);
        var error = Assert.Throws<PeftAdapterException>(() => PeftAdapter.Load(dir.Path, TinyConfigs.Qwen3Like));
        Assert.Contains("tensor 'base_model.model.model.layers.2.self_attn.o_proj.lora_A.weight' belongs to no module", error.Message);
    }

    [Theory]
    [InlineData("\"target_modules\": [\"q_proj\"]", "\"target_modules\": [\"q_proj\", \"lm_head\"]", "unknown LoRA target 'lm_head'")]
    [InlineData("\"peft_type\": \"LORA\"", "\"peft_type\": \"IA3\"", "only LORA adapters are supported")]
    [InlineData("\"r\": 2", "\"r\": 2.5", "r is 2.5, expected a positive integer")]
    public void Loading_refuses_an_unsupported_adapter_config(string original, string replacement, string message)
    {
        using var dir = new TempDirectory();
        using (var adapters = RandomAdapters(TinyConfigs.Qwen3Like, new LoraConfig(2, 4, LoraTargets.Q)))
            PeftAdapter.Save(adapters, dir.Path);
        var configPath = dir.File(PeftAdapter.ConfigFile);
        var text = JsonNode.Parse(File.ReadAllText(configPath))!.ToJsonString().Replace(":", ": ").Replace(",\"", ", \"");
        Assert.Contains(original, text);
        File.WriteAllText(configPath, text.Replace(original, replacement));
        var error = Assert.Throws<PeftAdapterException>(() => PeftAdapter.Load(dir.Path, TinyConfigs.Qwen3Like));
        Assert.Contains(message, error.Message);
        Assert.Contains(PeftAdapter.ConfigFile, error.Message);
    }

    [Fact]
    public void Merged_weights_give_the_same_logits_as_the_adapters()
    {
        var config = TinyConfigs.Qwen3Like;
        using var model = TransformerModel.CreateRandom(config, seed: 3, std: 0.2f);
        using var adapters = RandomAdapters(config, new LoraConfig(4, 8, LoraTargets.All));
        var batch = new TokenBatch(2, 11);
        batch.SetRow(0, Enumerable.Range(0, 11).Select(i => i * 7 % config.VocabSize).ToArray());
        batch.SetRow(1, Enumerable.Range(0, 6).Select(i => i * 13 % config.VocabSize).ToArray());
        var rows = Enumerable.Range(0, 11).Concat(Enumerable.Range(11, 6)).ToArray();
        using var acts = model.CreateActivations(2, 11);
        using var lora = adapters.CreateActivations(2, 11, training: false);
        using var plainActs = model.CreateActivations(2, 11);

        model.Forward(plainActs, batch, rows);
        model.Forward(acts, batch, rows, lora: lora);
        var adapted = Enumerable.Range(0, rows.Length).SelectMany(i => acts.LogitsRow(i).ToArray()).ToArray();
        var plain = Enumerable.Range(0, rows.Length).SelectMany(i => plainActs.LogitsRow(i).ToArray()).ToArray();
        Assert.True(adapted.Zip(plain).Max(p => Math.Abs(p.First - p.Second)) > 1e-2, "the adapters must change the logits for the test to mean anything");

        adapters.Merge(model.Parameters);
        model.Forward(acts, batch, rows);
        var merged = Enumerable.Range(0, rows.Length).SelectMany(i => acts.LogitsRow(i).ToArray()).ToArray();
        TestData.AssertClose(adapted, merged, 1e-4f, "merged logits");
    }

    [Fact]
    public void Fresh_adapters_leave_the_model_unchanged_and_draw_a_within_the_peft_bound()
    {
        var config = TinyConfigs.Qwen3Like;
        using var adapters = new LoraAdapters(config, new LoraConfig(4, 8, LoraTargets.All, Seed: 5));
        adapters.InitializeRandom();
        Assert.All(adapters.Modules, m =>
        {
            Assert.All(m.B.Span.ToArray(), b => Assert.Equal(0f, b));
            var bound = 1 / MathF.Sqrt(m.InChannels);
            Assert.All(m.A.Span.ToArray(), a => Assert.InRange(a, -bound, bound));
            Assert.Contains(m.A.Span.ToArray(), a => Math.Abs(a) > bound / 2);
        });
        using var same = new LoraAdapters(config, new LoraConfig(4, 8, LoraTargets.All, Seed: 5));
        same.InitializeRandom();
        Assert.True(adapters.Modules[5].A.Span.SequenceEqual(same.Modules[5].A.Span), "the same seed draws the same adapters");
    }

    [Theory]
    [InlineData(false, 2.0)]   // alpha / r
    [InlineData(true, 4.0)]    // alpha / sqrt(r)
    public void Scale_is_alpha_over_rank_or_over_its_root_with_rslora(bool rsLora, double expected) =>
        Assert.Equal(expected, new LoraConfig(4, 8, LoraTargets.Q, rsLora).Scale);

    [Fact]
    public void Target_names_parse_with_or_without_the_proj_suffix_and_reject_others()
    {
        Assert.Equal(LoraTargets.Q | LoraTargets.Gate | LoraTargets.Down, LoraConfig.ParseTargets(["q", "gate_proj", "DOWN"]));
        Assert.Equal(LoraTargets.All, LoraConfig.ParseTargets(["all"]));
        var error = Assert.Throws<ArgumentException>(() => LoraConfig.ParseTargets(["q", "qkv"]));
        Assert.Contains("unknown LoRA target 'qkv'", error.Message);
    }
}
