using System.Text.Json.Serialization;
using Lethe.Lambda.Runtime;

namespace Lethe.Lambda.Tests.Runtime;

public sealed record EchoInput(string Text);

[JsonSerializable(typeof(EchoInput))]
internal sealed partial class EchoJsonContext : JsonSerializerContext;

internal sealed class EchoHandler() : LambdaHandler<EchoInput, EchoInput>(EchoJsonContext.Default.EchoInput, EchoJsonContext.Default.EchoInput)
{
    protected override Task<EchoInput> HandleAsync(EchoInput input, ILambdaContext context, CancellationToken cancellationToken) =>
        Task.FromResult(input);
}
