using System.Globalization;
using ContinualTrainer.Engine.IO;
using ContinualTrainer.Engine.Model;

namespace ContinualTrainer.Tests.Checkpoints;

/// <summary>
/// Writes small but complete Hugging Face model directories (Llama config + every tensor it needs, via
/// <see cref="SafeTensorsWriter"/>) and PEFT adapters, with values drawn from a seed, for checkpoint tests.
/// </summary>
internal static class TestModels
{
    /// <summary>A tiny Llama: config.json, model.safetensors, tokenizer.json (a stand-in JSON document).</summary>
    /// <param name="vocab">Vocabulary size; the embedding is (vocab, hidden), so this sets the file size.</param>
    public static string WriteModel(string directory, int seed, int vocab = 32, int hidden = 8, SafeTensorDType dtype = SafeTensorDType.F32)
    {
        Directory.CreateDirectory(directory);
        var config = string.Create(CultureInfo.InvariantCulture, $$"""
            {
              "architectures": ["LlamaForCausalLM"],
              "model_type": "llama",
              "vocab_size": {{vocab}},
              "hidden_size": {{hidden}},
              "intermediate_size": {{2 * hidden}},
              "num_hidden_layers": 1,
              "num_attention_heads": 2,
              "rms_norm_eps": 1e-05,
              "tie_word_embeddings": true,
              "hidden_act": "silu"
            }
            """);
        File.WriteAllText(Path.Combine(directory, "config.json"), config);
        File.WriteAllText(Path.Combine(directory, "tokenizer.json"), """{ "version": "1.0", "model": { "type": "BPE" } }""");
        var random = new Random(seed);
        var tensors = HfCheckpoint.ExpectedTensors(ModelConfigLoader.Parse(config, "test config"))
            .Select(t => new SafeTensorToWrite(t.Name, dtype, t.Shape, Values(random, t.Shape)));
        SafeTensorsWriter.Write(Path.Combine(directory, "model.safetensors"), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        return directory;
    }

    /// <summary>A PEFT adapter (adapter_config.json + adapter_model.safetensors), with the merged model in merged/ when asked.</summary>
    public static string WriteLoraAdapter(string directory, int seed, bool merged = false)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "adapter_config.json"), """{ "peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["q_proj", "v_proj"] }""");
        var random = new Random(seed);
        SafeTensorsWriter.Write(Path.Combine(directory, "adapter_model.safetensors"),
        [
            new SafeTensorToWrite("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", SafeTensorDType.F32, [2, 8], Values(random, [2, 8])),
            new SafeTensorToWrite("base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight", SafeTensorDType.F32, [8, 2], Values(random, [8, 2])),
        ], new Dictionary<string, string> { ["format"] = "pt" });
        if (merged) WriteModel(Path.Combine(directory, "merged"), seed + 1);
        return directory;
    }

    private static float[] Values(Random random, long[] shape)
    {
        var values = new float[shape.Aggregate(1L, (a, b) => a * b)];
        for (var i = 0; i < values.Length; i++) values[i] = (float)(random.NextDouble() - 0.5);
        return values;
    }
}
