using System.Text.Json.Nodes;
using ContinualTrainer.Engine.IO;
using ContinualTrainer.Engine.Model;
using ContinualTrainer.Engine.Tests.IO;

namespace ContinualTrainer.Engine.Tests.Model;

public sealed class HfCheckpointTests : IDisposable
{
    private readonly TempDirectory dir = new();

    public void Dispose() => dir.Dispose();

    private static string Fixture(string model) => SharedFixtures.Path("fixtures", "models", model);

    [SharedTheory]
    [InlineData("tiny-llama")]
    [InlineData("tiny-qwen2")]
    [InlineData("tiny-qwen3-bf16")]
    public void Fixture_checkpoint_holds_exactly_the_expected_tensors_with_their_shapes(string model)
    {
        var oracle = new ReferenceSafeTensors(Path.Combine(Fixture(model), "model.safetensors"));

        using var checkpoint = HfCheckpoint.Open(Fixture(model));
        var expected = HfCheckpoint.ExpectedTensors(checkpoint.Config);

        Assert.Equal(oracle.Names.Order(StringComparer.Ordinal), expected.Select(e => e.Name).Order(StringComparer.Ordinal));
        Assert.All(expected, e => Assert.Equal(oracle.Shape(e.Name), e.Shape));
        Assert.Equal(oracle.Names.Order(StringComparer.Ordinal), checkpoint.TensorNames.Order(StringComparer.Ordinal));
    }

    [SharedFact]
    public void Tiny_qwen2_expects_an_lm_head_and_q_k_v_biases_but_no_output_bias()
    {
        using var checkpoint = HfCheckpoint.Open(Fixture("tiny-qwen2"));
        var expected = HfCheckpoint.ExpectedTensors(checkpoint.Config).ToDictionary(e => e.Name, e => e.Shape);

        Assert.Equal(27, expected.Count);
        Assert.Equal(new long[] { 1024, 64 }, expected["lm_head.weight"]);
        Assert.Equal(new long[] { 32 }, expected["model.layers.1.self_attn.k_proj.bias"]);
        Assert.Equal(new long[] { 64 }, expected["model.layers.1.self_attn.q_proj.bias"]);
        Assert.DoesNotContain("model.layers.0.self_attn.o_proj.bias", expected.Keys);
        Assert.Equal(new long[] { 32, 64 }, checkpoint.Shape("model.layers.0.self_attn.v_proj.weight"));
    }

    [SharedFact]
    public void Tied_tiny_llama_expects_no_lm_head()
    {
        using var checkpoint = HfCheckpoint.Open(Fixture("tiny-llama"));

        Assert.DoesNotContain(HfCheckpoint.ExpectedTensors(checkpoint.Config), e => e.Name == "lm_head.weight");
        Assert.False(checkpoint.Contains("lm_head.weight"));
        Assert.True(checkpoint.Contains("model.embed_tokens.weight"));
    }

    [SharedFact]
    public void Qwen3_bf16_weights_read_as_float32_match_bit_manipulation_of_the_stored_words()
    {
        var oracle = new ReferenceSafeTensors(Path.Combine(Fixture("tiny-qwen3-bf16"), "model.safetensors"));
        using var checkpoint = HfCheckpoint.Open(Fixture("tiny-qwen3-bf16"));

        foreach (var name in checkpoint.TensorNames)
        {
            Assert.Equal(SafeTensorDType.BF16, checkpoint.GetInfo(name).DType);
            var span = new float[oracle.Floats(name).Length];
            checkpoint.ReadFloat32(name, span);
            Assert.Equal(oracle.Floats(name).Select(BitConverter.SingleToUInt32Bits), span.Select(BitConverter.SingleToUInt32Bits));
        }
        // Shapes as printed by Python from the header: head_dim 32 makes q (4*32, 64) and o (64, 4*32).
        Assert.Equal(new long[] { 128, 64 }, checkpoint.Shape("model.layers.0.self_attn.q_proj.weight"));
        Assert.Equal(new long[] { 64, 128 }, checkpoint.Shape("model.layers.0.self_attn.o_proj.weight"));
        Assert.Equal(new long[] { 32 }, checkpoint.Shape("model.layers.1.self_attn.k_norm.weight"));
    }

    [Fact]
    public void Opens_a_two_shard_checkpoint_through_its_index()
    {
        var config = Config();
        var tensors = Tensors(config);
        WriteSharded(config, tensors);

        using var checkpoint = HfCheckpoint.Open(dir.Path);

        Assert.Equal(tensors.Count, checkpoint.TensorNames.Count);
        foreach (var t in tensors)
        {
            Assert.Equal(t.Shape, checkpoint.Shape(t.Name));
            Assert.Equal(t.FloatData.ToArray(), checkpoint.ReadFloat32(t.Name));
        }
        Assert.Equal(dir.Path, checkpoint.Directory);
        Assert.Equal(8, checkpoint.Config.HiddenSize);
    }

    [Fact]
    public void Opens_a_single_file_checkpoint_written_by_the_writer()
    {
        var config = Config();
        var tensors = Tensors(config);
        WriteSingle(config, tensors);

        using var checkpoint = HfCheckpoint.Open(dir.Path);

        Assert.Equal(tensors[^1].FloatData.ToArray(), checkpoint.ReadFloat32(tensors[^1].Name));
    }

    [Theory]
    [InlineData("rope_scaling", """{"type":"dynamic","factor":2.0}""")]
    [InlineData("architectures", """["GPT2LMHeadModel"]""")]
    [InlineData("hidden_act", "\"gelu\"")]
    public void Refuses_a_config_the_engine_cannot_run(string key, string value)
    {
        var config = Config();
        WriteSingle(config, Tensors(config));
        config[key] = JsonNode.Parse(value);
        File.WriteAllText(dir.File("config.json"), config.ToJsonString());

        var ex = Assert.Throws<ModelConfigException>(() => HfCheckpoint.Open(dir.Path));

        Assert.Contains(dir.File("config.json"), ex.Message);
        Assert.Contains(key, ex.Message);
    }

    [Fact]
    public void Refuses_a_missing_tensor_naming_it_and_its_expected_shape()
    {
        var config = Config();
        WriteSingle(config, Tensors(config).Where(t => t.Name != "model.layers.1.mlp.up_proj.weight"));

        var ex = Assert.Throws<HfCheckpointException>(() => HfCheckpoint.Open(dir.Path));

        Assert.Equal($"{dir.Path}: tensor 'model.layers.1.mlp.up_proj.weight' is missing (expected shape [12, 8])", ex.Message);
    }

    [Fact]
    public void Refuses_a_mis_shaped_tensor_naming_expected_and_actual_shape()
    {
        var config = Config();
        var tensors = Tensors(config)
            .Select(t => t.Name == "model.layers.0.self_attn.k_proj.weight" ? new SafeTensorToWrite(t.Name, SafeTensorDType.F32, [8, 4], t.FloatData) : t);
        WriteSingle(config, tensors);

        var ex = Assert.Throws<HfCheckpointException>(() => HfCheckpoint.Open(dir.Path));

        Assert.Contains("tensor 'model.layers.0.self_attn.k_proj.weight' has shape [8, 4], expected [4, 8]", ex.Message);
        Assert.Contains("model.safetensors", ex.Message);
    }

    [Theory]
    [InlineData("../x.safetensors")]
    [InlineData("/tmp/x.safetensors")]
    [InlineData("sub/x.safetensors")]
    [InlineData("sub\\x.safetensors")]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("")]
    public void Refuses_a_shard_name_that_is_not_a_plain_file_in_the_directory(string shard)
    {
        var config = Config();
        WriteSharded(config, Tensors(config));
        var index = JsonNode.Parse(File.ReadAllText(dir.File(HfCheckpoint.IndexFileName)))!;
        index["weight_map"]!["model.norm.weight"] = shard;
        File.WriteAllText(dir.File(HfCheckpoint.IndexFileName), index.ToJsonString());

        var ex = Assert.Throws<HfCheckpointException>(() => HfCheckpoint.Open(dir.Path));

        Assert.Contains("'model.norm.weight'", ex.Message);
        Assert.Contains("not a plain file name", ex.Message);
    }

    [Fact]
    public void Refuses_an_index_entry_whose_shard_does_not_hold_the_tensor()
    {
        var config = Config();
        WriteSharded(config, Tensors(config));
        var index = JsonNode.Parse(File.ReadAllText(dir.File(HfCheckpoint.IndexFileName)))!;
        var map = index["weight_map"]!.AsObject();
        var other = map["model.embed_tokens.weight"]!.GetValue<string>() == "model-00001-of-00002.safetensors"
            ? "model-00002-of-00002.safetensors"
            : "model-00001-of-00002.safetensors";
        map["model.embed_tokens.weight"] = other;
        File.WriteAllText(dir.File(HfCheckpoint.IndexFileName), index.ToJsonString());

        var ex = Assert.Throws<HfCheckpointException>(() => HfCheckpoint.Open(dir.Path));

        Assert.Contains($"tensor 'model.embed_tokens.weight' is mapped to shard '{other}', which does not hold it", ex.Message);
    }

    [Fact]
    public void Refuses_an_index_naming_a_missing_shard()
    {
        var config = Config();
        WriteSharded(config, Tensors(config));
        File.Delete(dir.File("model-00002-of-00002.safetensors"));

        var ex = Assert.Throws<HfCheckpointException>(() => HfCheckpoint.Open(dir.Path));

        Assert.Contains("'model-00002-of-00002.safetensors', which does not exist", ex.Message);
    }

    [Fact]
    public void Refuses_an_index_without_a_weight_map()
    {
        var config = Config();
        WriteSharded(config, Tensors(config));
        File.WriteAllText(dir.File(HfCheckpoint.IndexFileName), """{"metadata":{}}""");

        var ex = Assert.Throws<HfCheckpointException>(() => HfCheckpoint.Open(dir.Path));

        Assert.Contains("weight_map", ex.Message);
    }

    [Fact]
    public void Refuses_a_tensor_the_config_does_not_use()
    {
        var config = Config();
        WriteSingle(config, [.. Tensors(config), new SafeTensorToWrite("model.layers.2.mlp.up_proj.weight", SafeTensorDType.F32, [12, 8], new float[96])]);

        var ex = Assert.Throws<HfCheckpointException>(() => HfCheckpoint.Open(dir.Path));

        Assert.Contains("tensor 'model.layers.2.mlp.up_proj.weight' is not part of a Llama model", ex.Message);
    }

    [Fact]
    public void Refuses_integer_weights()
    {
        var config = Config();
        var tensors = Tensors(config)
            .Select(t => t.Name == "model.norm.weight" ? new SafeTensorToWrite(t.Name, [8], new long[8]) : t);
        WriteSingle(config, tensors);

        var ex = Assert.Throws<HfCheckpointException>(() => HfCheckpoint.Open(dir.Path));

        Assert.Contains("tensor 'model.norm.weight' has dtype I64", ex.Message);
    }

    [Fact]
    public void Ignores_the_lm_head_of_a_tied_checkpoint_whatever_its_shape()
    {
        var config = Config(tied: true);
        WriteSingle(config, [.. Tensors(config), new SafeTensorToWrite("lm_head.weight", SafeTensorDType.F32, [1], new float[] { 0 })]);

        using var checkpoint = HfCheckpoint.Open(dir.Path);

        Assert.DoesNotContain(HfCheckpoint.ExpectedTensors(checkpoint.Config), e => e.Name == "lm_head.weight");
    }

    [Fact]
    public void Tolerates_stored_rotary_inverse_frequencies()
    {
        var config = Config();
        WriteSingle(config, [.. Tensors(config), new SafeTensorToWrite("model.layers.0.self_attn.rotary_emb.inv_freq", SafeTensorDType.F32, [2], new float[] { 1, 0.01f })]);

        using var checkpoint = HfCheckpoint.Open(dir.Path);

        Assert.True(checkpoint.Contains("model.layers.0.self_attn.rotary_emb.inv_freq"));
    }

    [Fact]
    public void Refuses_a_directory_without_weights()
    {
        File.WriteAllText(dir.File("config.json"), Config().ToJsonString());

        var ex = Assert.Throws<HfCheckpointException>(() => HfCheckpoint.Open(dir.Path));

        Assert.Contains("neither model.safetensors nor model.safetensors.index.json", ex.Message);
    }

    [Fact]
    public void Unknown_tensor_name_throws_KeyNotFound_naming_directory_and_tensor()
    {
        var config = Config();
        WriteSingle(config, Tensors(config));
        using var checkpoint = HfCheckpoint.Open(dir.Path);

        var ex = Assert.Throws<KeyNotFoundException>(() => checkpoint.ReadFloat32("model.layers.9.mlp.up_proj.weight"));

        Assert.Contains(dir.Path, ex.Message);
        Assert.Contains("'model.layers.9.mlp.up_proj.weight'", ex.Message);
    }

    [Fact]
    public void Shape_returns_a_copy()
    {
        var config = Config();
        WriteSingle(config, Tensors(config));
        using var checkpoint = HfCheckpoint.Open(dir.Path);

        checkpoint.Shape("model.norm.weight")[0] = 99;

        Assert.Equal(new long[] { 8 }, checkpoint.Shape("model.norm.weight"));
    }

    [Fact]
    public void Expected_tensors_follow_the_Hugging_Face_names_and_out_in_layout()
    {
        var c = new ModelConfig
        {
            Architecture = ModelArchitecture.Qwen3, VocabSize = 10, HiddenSize = 6, IntermediateSize = 5, NumLayers = 1,
            NumHeads = 3, NumKvHeads = 1, HeadDim = 4, RmsNormEps = 1e-6f, RopeTheta = 1e6, TieWordEmbeddings = false,
            AttentionBias = true, OutputBias = true, QkNorm = true,
        };

        var expected = HfCheckpoint.ExpectedTensors(c).Select(e => $"{e.Name} {SafeTensorInfo.FormatShape(e.Shape)}");

        Assert.Equal(
            [
                "model.embed_tokens.weight [10, 6]",
                "model.layers.0.input_layernorm.weight [6]",
                "model.layers.0.self_attn.q_proj.weight [12, 6]",
                "model.layers.0.self_attn.q_proj.bias [12]",
                "model.layers.0.self_attn.k_proj.weight [4, 6]",
                "model.layers.0.self_attn.k_proj.bias [4]",
                "model.layers.0.self_attn.v_proj.weight [4, 6]",
                "model.layers.0.self_attn.v_proj.bias [4]",
                "model.layers.0.self_attn.o_proj.weight [6, 12]",
                "model.layers.0.self_attn.o_proj.bias [6]",
                "model.layers.0.self_attn.q_norm.weight [4]",
                "model.layers.0.self_attn.k_norm.weight [4]",
                "model.layers.0.post_attention_layernorm.weight [6]",
                "model.layers.0.mlp.gate_proj.weight [5, 6]",
                "model.layers.0.mlp.up_proj.weight [5, 6]",
                "model.layers.0.mlp.down_proj.weight [6, 5]",
                "model.norm.weight [6]",
                "lm_head.weight [10, 6]",
            ],
            expected);
    }

    /// <summary>A tiny Llama: V 16, C 8, I 12, 2 layers, 2 heads of 4, 1 kv head.</summary>
    private static JsonObject Config(bool tied = false) => new()
    {
        ["architectures"] = new JsonArray("LlamaForCausalLM"),
        ["model_type"] = "llama",
        ["vocab_size"] = 16,
        ["hidden_size"] = 8,
        ["intermediate_size"] = 12,
        ["num_hidden_layers"] = 2,
        ["num_attention_heads"] = 2,
        ["num_key_value_heads"] = 1,
        ["rms_norm_eps"] = 1e-5,
        ["hidden_act"] = "silu",
        ["tie_word_embeddings"] = tied,
    };

    /// <summary>Every tensor the config needs, each filled with distinct values.</summary>
    private static List<SafeTensorToWrite> Tensors(JsonObject config)
    {
        var parsed = ModelConfigLoader.Parse(config.ToJsonString(), "synthetic");
        return HfCheckpoint.ExpectedTensors(parsed)
            .Select((e, k) =>
            {
                var data = new float[SafeTensorInfo.CountElements(e.Shape)];
                for (var i = 0; i < data.Length; i++) data[i] = k + i / 1024f;
                return new SafeTensorToWrite(e.Name, SafeTensorDType.F32, e.Shape, data);
            })
            .ToList();
    }

    private void WriteSingle(JsonObject config, IEnumerable<SafeTensorToWrite> tensors)
    {
        File.WriteAllText(dir.File("config.json"), config.ToJsonString());
        SafeTensorsWriter.Write(dir.File(HfCheckpoint.SingleFileName), tensors, new Dictionary<string, string> { ["format"] = "pt" });
    }

    /// <summary>First half of the tensors in shard 1, the rest in shard 2, plus the index.</summary>
    private void WriteSharded(JsonObject config, List<SafeTensorToWrite> tensors)
    {
        File.WriteAllText(dir.File("config.json"), config.ToJsonString());
        string[] shards = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"];
        var half = tensors.Count / 2;
        SafeTensorsWriter.Write(dir.File(shards[0]), tensors[..half]);
        SafeTensorsWriter.Write(dir.File(shards[1]), tensors[half..]);
        var map = new JsonObject();
        for (var i = 0; i < tensors.Count; i++) map[tensors[i].Name] = shards[i < half ? 0 : 1];
        var index = new JsonObject { ["metadata"] = new JsonObject { ["total_size"] = 0 }, ["weight_map"] = map };
        File.WriteAllText(dir.File(HfCheckpoint.IndexFileName), index.ToJsonString());
    }
}
