namespace Lethe.Lambda.Runtime;

/// <summary>
/// Maps a function's handler name (the <c>_HANDLER</c> variable in AWS, the function name in the local gateway) to its handler.
/// One binary serves every function; the registry is the only place that knows which names exist.
/// </summary>
public sealed class HandlerRegistry
{
    private readonly Dictionary<string, Func<ILambdaHandler>> _factories = new(StringComparer.Ordinal);

    public HandlerRegistry Add(string name, Func<ILambdaHandler> factory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(factory);
        if (!_factories.TryAdd(name, factory))
        {
            throw new InvalidOperationException($"A handler named '{name}' is already registered.");
        }

        return this;
    }

    public IReadOnlyCollection<string> Names => _factories.Keys;

    public bool Contains(string name) => _factories.ContainsKey(name);

    public ILambdaHandler Resolve(string name)
    {
        if (_factories.TryGetValue(name, out var factory))
        {
            return factory();
        }

        var known = string.Join(", ", _factories.Keys.Order(StringComparer.Ordinal));
        throw new UnknownHandlerException($"No handler is registered as '{name}'. Known handlers: {known}.");
    }
}

public sealed class UnknownHandlerException : Exception, IHasErrorType
{
    public UnknownHandlerException(string message) : base(message)
    {
    }

    public string ErrorType => "Lethe.UnknownHandler";
}
