using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Lethe.Lambda.Runtime;

/// <summary>One Lambda function: raw JSON in, raw JSON out. The runtime loop and the local gateway both call this.</summary>
public interface ILambdaHandler
{
    Task<byte[]> InvokeAsync(ReadOnlyMemory<byte> payload, ILambdaContext context, CancellationToken cancellationToken);
}

/// <summary>
/// A handler with typed input and output, (de)serialized through source-generated metadata so it stays trimmable.
/// Malformed input surfaces as <see cref="HandlerInputException"/> (<c>Lethe.InvalidInput</c>), never as a crash of the host.
/// </summary>
public abstract class LambdaHandler<TInput, TOutput> : ILambdaHandler
{
    private readonly JsonTypeInfo<TInput> _input;
    private readonly JsonTypeInfo<TOutput> _output;

    protected LambdaHandler(JsonTypeInfo<TInput> input, JsonTypeInfo<TOutput> output)
    {
        _input = input;
        _output = output;
    }

    public async Task<byte[]> InvokeAsync(ReadOnlyMemory<byte> payload, ILambdaContext context, CancellationToken cancellationToken)
    {
        TInput? input;
        try
        {
            input = JsonSerializer.Deserialize(payload.Span, _input);
        }
        catch (JsonException ex)
        {
            throw new HandlerInputException($"The input is not valid JSON for {typeof(TInput).Name}: {ex.Message}", ex);
        }

        if (input is null)
        {
            throw new HandlerInputException($"The input for {typeof(TInput).Name} is null.");
        }

        var output = await HandleAsync(input, context, cancellationToken);
        return JsonSerializer.SerializeToUtf8Bytes(output, _output);
    }

    protected abstract Task<TOutput> HandleAsync(TInput input, ILambdaContext context, CancellationToken cancellationToken);
}

/// <summary>The invocation payload could not be read as the handler's input type.</summary>
public sealed class HandlerInputException : Exception, IHasErrorType
{
    public HandlerInputException(string message, Exception? inner = null) : base(message, inner)
    {
    }

    public string ErrorType => "Lethe.InvalidInput";
}

/// <summary>
/// Implemented by exceptions whose Step Functions error name is not their CLR type name. Lethe.Lambda knows nothing of
/// Lethe's domain, so domain exceptions are mapped through <see cref="ErrorTypes"/>.
/// </summary>
public interface IHasErrorType
{
    string ErrorType { get; }
}
