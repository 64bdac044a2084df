using Lethe.Domain.Errors;
using Lethe.Functions.Platform;
using Lethe.Lambda.Runtime;

namespace Lethe.Functions;

/// <summary>
/// Every Lambda function Lethe deploys, by handler name. The CDK app sets <c>_HANDLER</c> to one of these names, and the
/// local cloud's gateway serves the same names in-process, so a workflow calls the same code in both places.
/// </summary>
public static class FunctionCatalog
{
    public const string Ping = "ping";

    public static IReadOnlyList<string> HandlerNames { get; } = [Ping];

    public static HandlerRegistry Register(HandlerRegistry registry, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ErrorTypes.Register(ex => ex is LetheException lethe ? lethe.ErrorType : null);
        registry.Add(Ping, () => new PingHandler(clock));
        return registry;
    }
}
