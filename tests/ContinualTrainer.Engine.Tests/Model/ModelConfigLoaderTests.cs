using System.Text.Json.Nodes;
using ContinualTrainer.Engine.Model;

namespace ContinualTrainer.Engine.Tests.Model;

public sealed class ModelConfigLoaderTests
{
    private const string Source = "test/config.json";

    private static string ConfigPath(string model) => SharedFixtures.Path("fixtures", "models", model, "config.json");

    /// <summary>A complete Llama config; tests change one key at a time.</summary>
    private static JsonObject Llama() => new()
    {
        ["architectures"] = new JsonArray("LlamaForCausalLM"),
        ["model_type"] = "llama",
        ["vocab_size"] = 32,
        ["hidden_size"] = 16,
        ["intermediate_size"] = 24,
        ["num_hidden_layers"] = 2,
        ["num_attention_heads"] = 4,
        ["num_key_value_heads"] = 2,
        ["rms_norm_eps"] = 1e-5,
        ["rope_theta"] = 500000.0,
        ["hidden_act"] = "silu",
        ["max_position_embeddings"] = 128,
        ["eos_token_id"] = 2,
    };

    private static JsonObject WithArchitecture(string architecture, string modelType)
    {
        var config = Llama();
        config["architectures"] = new JsonArray(architecture);
        config["model_type"] = modelType;
        return config;
    }

    private static ModelConfig Parse(JsonObject config) => ModelConfigLoader.Parse(config.ToJsonString(), Source);

    [SharedFact]
    public void Loads_tiny_llama_config()
    {
        var c = ModelConfigLoader.Load(ConfigPath("tiny-llama"));

        Assert.Equal(ModelArchitecture.Llama, c.Architecture);
        Assert.Equal((1024, 64, 176, 2), (c.VocabSize, c.HiddenSize, c.IntermediateSize, c.NumLayers));
        Assert.Equal((4, 4, 16), (c.NumHeads, c.NumKvHeads, c.HeadDim));
        Assert.Equal(1e-5f, c.RmsNormEps);
        Assert.Equal(10000.0, c.RopeTheta);
        Assert.True(c.TieWordEmbeddings);
        Assert.False(c.AttentionBias);
        Assert.False(c.OutputBias);
        Assert.False(c.QkNorm);
        Assert.Equal(512, c.MaxPositionEmbeddings);
        Assert.Null(c.BosTokenId);
        Assert.Equal(1023, c.EosTokenId);
    }

    [SharedFact]
    public void Loads_tiny_qwen2_config_with_q_k_v_bias_and_no_output_bias()
    {
        var c = ModelConfigLoader.Load(ConfigPath("tiny-qwen2"));

        Assert.Equal(ModelArchitecture.Qwen2, c.Architecture);
        Assert.Equal((1024, 64, 128, 2), (c.VocabSize, c.HiddenSize, c.IntermediateSize, c.NumLayers));
        Assert.Equal((4, 2, 16), (c.NumHeads, c.NumKvHeads, c.HeadDim));
        Assert.Equal(1e-6f, c.RmsNormEps);
        Assert.Equal(1_000_000.0, c.RopeTheta);
        Assert.False(c.TieWordEmbeddings);
        Assert.True(c.AttentionBias);
        Assert.False(c.OutputBias);
        Assert.False(c.QkNorm);
        Assert.Equal(1023, c.EosTokenId);
    }

    [SharedFact]
    public void Loads_tiny_qwen3_config_with_explicit_head_dim_and_qk_norm()
    {
        var c = ModelConfigLoader.Load(ConfigPath("tiny-qwen3-bf16"));

        Assert.Equal(ModelArchitecture.Qwen3, c.Architecture);
        Assert.Equal((4, 2, 32), (c.NumHeads, c.NumKvHeads, c.HeadDim));
        Assert.Equal((128, 64), (c.QDim, c.KvDim));
        Assert.True(c.TieWordEmbeddings);
        Assert.True(c.QkNorm);
        Assert.False(c.AttentionBias);
        Assert.False(c.OutputBias);
    }

    [Fact]
    public void Applies_transformers_defaults_for_absent_optional_keys()
    {
        var config = Llama();
        foreach (var key in new[] { "num_key_value_heads", "rope_theta", "hidden_act", "max_position_embeddings", "eos_token_id", "model_type" })
            config.Remove(key);

        var c = Parse(config);

        Assert.Equal(4, c.NumKvHeads);
        Assert.Equal(4, c.HeadDim);
        Assert.Equal(10000.0, c.RopeTheta);
        Assert.False(c.TieWordEmbeddings);
        Assert.False(c.AttentionBias);
        Assert.Equal(2048, c.MaxPositionEmbeddings);
        Assert.Null(c.EosTokenId);
    }

    [Fact]
    public void Null_values_mean_the_default()
    {
        var config = Llama();
        config["num_key_value_heads"] = null;
        config["head_dim"] = null;
        config["rope_scaling"] = null;
        config["bos_token_id"] = null;

        var c = Parse(config);

        Assert.Equal((4, 4), (c.NumKvHeads, c.HeadDim));
        Assert.Null(c.BosTokenId);
    }

    [Fact]
    public void Llama_attention_bias_biases_q_k_v_and_o()
    {
        var config = Llama();
        config["attention_bias"] = true;

        var c = Parse(config);

        Assert.True(c.AttentionBias);
        Assert.True(c.OutputBias);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(false)]
    [InlineData(true)]
    public void Qwen2_always_biases_q_k_v_and_never_o(bool? attentionBias)
    {
        var config = WithArchitecture("Qwen2ForCausalLM", "qwen2");
        if (attentionBias is { } b) config["attention_bias"] = b;

        var c = Parse(config);

        Assert.True(c.AttentionBias);
        Assert.False(c.OutputBias);
        Assert.False(c.QkNorm);
    }

    [Fact]
    public void Qwen3_attention_bias_biases_q_k_v_and_o()
    {
        var config = WithArchitecture("Qwen3ForCausalLM", "qwen3");
        config["attention_bias"] = true;

        var c = Parse(config);

        Assert.True(c.AttentionBias);
        Assert.True(c.OutputBias);
        Assert.True(c.QkNorm);
    }

    [Fact]
    public void Head_dim_may_differ_from_hidden_over_heads()
    {
        var config = Llama();
        config["head_dim"] = 8;

        var c = Parse(config);

        Assert.Equal(8, c.HeadDim);
        Assert.Equal(32, c.QDim);
        Assert.Equal(16, c.KvDim);
    }

    [Fact]
    public void Eos_token_list_gives_its_first_id()
    {
        var config = Llama();
        config["eos_token_id"] = new JsonArray(3, 1, 2);
        config["bos_token_id"] = 0;

        var c = Parse(config);

        Assert.Equal(3, c.EosTokenId);
        Assert.Equal(0, c.BosTokenId);
    }

    [Fact]
    public void Empty_eos_token_list_means_none()
    {
        var config = Llama();
        config["eos_token_id"] = new JsonArray();

        Assert.Null(Parse(config).EosTokenId);
    }

    [Fact]
    public void Reads_rope_theta_from_transformers_5_rope_parameters()
    {
        var config = Llama();
        config.Remove("rope_theta");
        config["rope_parameters"] = new JsonObject { ["rope_type"] = "default", ["rope_theta"] = 1e6 };

        Assert.Equal(1e6, Parse(config).RopeTheta);
    }

    [Fact]
    public void Refuses_rope_parameters_other_than_default_naming_the_nested_key()
    {
        var config = Llama();
        config["rope_parameters"] = new JsonObject { ["rope_type"] = "yarn", ["factor"] = 4.0 };

        var ex = Assert.Throws<ModelConfigException>(() => Parse(config));

        Assert.Equal($"{Source}: rope_parameters.rope_type = \"yarn\" is not supported; only \"default\" RoPE is", ex.Message);
    }

    [Theory]
    [InlineData("architectures", """["GPT2LMHeadModel"]""", "GPT2LMHeadModel")]
    [InlineData("architectures", """["LlamaForCausalLM","Qwen2ForCausalLM"]""", "list of one name")]
    [InlineData("architectures", "\"LlamaForCausalLM\"", "list of one name")]
    [InlineData("model_type", "\"mistral\"", "\"llama\"")]
    [InlineData("hidden_act", "\"gelu\"", "only \"silu\"")]
    [InlineData("rope_scaling", """{"type":"linear","factor":2.0}""", "plain RoPE")]
    [InlineData("rope_scaling", """{"rope_type":"llama3","factor":8.0}""", "plain RoPE")]
    [InlineData("mlp_bias", "true", "only false")]
    [InlineData("quantization_config", """{"quant_method":"gptq"}""", "unquantised")]
    [InlineData("hidden_size", "0", "positive integer")]
    [InlineData("hidden_size", "-16", "positive integer")]
    [InlineData("hidden_size", "16.5", "positive integer")]
    [InlineData("hidden_size", "\"16\"", "positive integer")]
    [InlineData("vocab_size", "4294967296", "positive integer")]
    [InlineData("intermediate_size", "0", "positive integer")]
    [InlineData("num_hidden_layers", "0", "positive integer")]
    [InlineData("num_attention_heads", "-4", "positive integer")]
    [InlineData("num_key_value_heads", "3", "must divide num_attention_heads = 4")]
    [InlineData("head_dim", "0", "positive integer")]
    [InlineData("rms_norm_eps", "0", "positive")]
    [InlineData("rms_norm_eps", "1e-50", "positive float32")]
    [InlineData("rope_theta", "-1", "positive number")]
    [InlineData("tie_word_embeddings", "\"yes\"", "true or false")]
    [InlineData("eos_token_id", "32", "[0, 32)")]
    [InlineData("eos_token_id", "-1", "[0, 32)")]
    [InlineData("bos_token_id", "\"<s>\"", "token id")]
    public void Refuses_unsupported_or_invalid_value_naming_file_key_and_value(string key, string valueJson, string fragment)
    {
        var config = Llama();
        config[key] = JsonNode.Parse(valueJson);

        var ex = Assert.Throws<ModelConfigException>(() => Parse(config));

        Assert.StartsWith(Source + ": ", ex.Message);
        Assert.Contains(key + " = ", ex.Message);
        Assert.Contains(JsonNode.Parse(valueJson)!.ToJsonString(), ex.Message);
        Assert.Contains(fragment, ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Theory]
    [InlineData("Qwen2ForCausalLM", "qwen2")]
    [InlineData("Qwen3ForCausalLM", "qwen3")]
    public void Refuses_sliding_window_attention(string architecture, string modelType)
    {
        var config = WithArchitecture(architecture, modelType);
        config["use_sliding_window"] = true;

        var ex = Assert.Throws<ModelConfigException>(() => Parse(config));

        Assert.Contains("use_sliding_window = true", ex.Message);
    }

    [Fact]
    public void Refuses_sliding_layers_in_layer_types()
    {
        var config = WithArchitecture("Qwen2ForCausalLM", "qwen2");
        config["layer_types"] = new JsonArray("full_attention", "sliding_attention");

        var ex = Assert.Throws<ModelConfigException>(() => Parse(config));

        Assert.Contains("layer_types", ex.Message);
    }

    [Fact]
    public void Accepts_layer_types_that_are_all_full_attention()
    {
        var config = WithArchitecture("Qwen3ForCausalLM", "qwen3");
        config["layer_types"] = new JsonArray("full_attention", "full_attention");
        config["use_sliding_window"] = false;

        Assert.Equal(ModelArchitecture.Qwen3, Parse(config).Architecture);
    }

    [Theory]
    [InlineData("architectures")]
    [InlineData("vocab_size")]
    [InlineData("hidden_size")]
    [InlineData("intermediate_size")]
    [InlineData("num_hidden_layers")]
    [InlineData("num_attention_heads")]
    [InlineData("rms_norm_eps")]
    public void Refuses_missing_required_key(string key)
    {
        var config = Llama();
        config.Remove(key);

        var ex = Assert.Throws<ModelConfigException>(() => Parse(config));

        Assert.Equal($"{Source}: required key '{key}' is missing", ex.Message);
    }

    [Fact]
    public void Refuses_hidden_size_not_divisible_by_heads_when_head_dim_is_absent()
    {
        var config = Llama();
        config["hidden_size"] = 18;

        var ex = Assert.Throws<ModelConfigException>(() => Parse(config));

        Assert.Contains("hidden_size = 18 is not divisible by num_attention_heads = 4", ex.Message);
    }

    [Fact]
    public void Refuses_duplicate_keys()
    {
        var json = Llama().ToJsonString().Replace("\"hidden_size\":16", "\"hidden_size\":16,\"hidden_size\":32");

        var ex = Assert.Throws<ModelConfigException>(() => ModelConfigLoader.Parse(json, Source));

        Assert.Contains("not valid JSON", ex.Message);
    }

    [Theory]
    [InlineData("{")]
    [InlineData("[]")]
    [InlineData("")]
    public void Refuses_text_that_is_not_a_JSON_object(string json)
    {
        var ex = Assert.Throws<ModelConfigException>(() => ModelConfigLoader.Parse(json, Source));

        Assert.StartsWith(Source + ": ", ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void Load_of_a_missing_file_names_it()
    {
        var path = Path.Combine(Path.GetTempPath(), "no-such-dir-h1", "config.json");

        var ex = Assert.Throws<FileNotFoundException>(() => ModelConfigLoader.Load(path));

        Assert.Contains(path, ex.Message);
    }
}
