using ContinualTrainer.Hosting.Api;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace ContinualTrainer.Tests.Hosting.Api;

/// <summary>Path and query values of the admin API: versions as v12 or 12, ids, bounded numbers, flags.</summary>
public sealed class RequestValuesTests
{
    private static QueryCollection Query(params (string Key, string[] Values)[] values) =>
        new(values.ToDictionary(v => v.Key, v => new StringValues(v.Values)));

    [Theory]
    [InlineData("v0", 0)]
    [InlineData("0", 0)]
    [InlineData("v12", 12)]
    [InlineData("12", 12)]
    [InlineData("999999999", 999_999_999)]
    public void Versions_are_written_with_or_without_the_v(string text, int expected) => Assert.Equal(expected, RequestValues.Version(text));

    [Theory]
    [InlineData("")]
    [InlineData("v")]
    [InlineData("V12")]
    [InlineData("v012")]
    [InlineData("012")]
    [InlineData("+12")]
    [InlineData("12 ")]
    [InlineData("1000000000")]
    [InlineData("v1e3")]
    public void Anything_else_is_not_a_version(string text)
    {
        var error = Assert.Throws<AdminApiException>(() => RequestValues.Version(text));
        Assert.Equal(StatusCodes.Status400BadRequest, error.StatusCode);
        Assert.Equal($"'{text}' is not a version: write v12 or 12", error.Message);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-3")]
    [InlineData("9223372036854775808")]
    [InlineData("0x10")]
    public void Ids_are_positive_whole_numbers(string text)
    {
        var error = Assert.Throws<AdminApiException>(() => RequestValues.Id(text, "run"));
        Assert.Equal($"'{text}' is not a run id: expected a whole number from 1", error.Message);
        Assert.Equal(7, RequestValues.Id("7", "run"));
    }

    [Fact]
    public void A_missing_number_takes_its_default_and_a_given_one_must_be_in_range()
    {
        Assert.Equal(20, RequestValues.Int(Query(), "limit", 20, 1, 500));
        Assert.Equal(500, RequestValues.Int(Query(("limit", ["500"])), "limit", 20, 1, 500));
        var error = Assert.Throws<AdminApiException>(() => RequestValues.Int(Query(("limit", ["1000"])), "limit", 20, 1, 500));
        Assert.Equal("limit = '1000' is not valid: expected a whole number from 1 to 500", error.Message);
    }

    [Fact]
    public void Flags_are_true_or_false()
    {
        Assert.False(RequestValues.Flag(Query(), "all"));
        Assert.True(RequestValues.Flag(Query(("all", ["true"])), "all"));
        Assert.Throws<AdminApiException>(() => RequestValues.Flag(Query(("all", ["1"])), "all"));
    }

    [Fact]
    public void Unknown_or_repeated_query_parameters_are_refused()
    {
        RequestValues.CheckQuery(Query(("limit", ["3"])), "limit");
        Assert.Equal("unknown query parameter 'x' (this endpoint takes none)",
            Assert.Throws<AdminApiException>(() => RequestValues.CheckQuery(Query(("x", ["1"])))).Message);
        Assert.Equal("query parameter 'limit' is given 2 times",
            Assert.Throws<AdminApiException>(() => RequestValues.CheckQuery(Query(("limit", ["1", "2"])), "limit")).Message);
    }
}
