namespace ContinualTrainer.Engine.Tests.Training;

/// <summary>
/// Tests that compare results bit for bit run alone, after the parallel ones: other tests calling the BLAS at the
/// same time can change how it splits its work, which a bit-identical comparison would see.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "serial";
}
