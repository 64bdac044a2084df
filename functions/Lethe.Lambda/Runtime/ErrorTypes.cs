namespace Lethe.Lambda.Runtime;

/// <summary>The <c>errorType</c> reported for a failed invocation: what Step Functions Retry and Catch match.</summary>
public static class ErrorTypes
{
    private static readonly List<Func<Exception, string?>> Resolvers = [];

    /// <summary>Lets an application name its own exceptions (for example <c>Lethe.Transient</c>) without this library knowing them.</summary>
    public static void Register(Func<Exception, string?> resolver)
    {
        lock (Resolvers)
        {
            Resolvers.Add(resolver);
        }
    }

    public static string Of(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (exception is IHasErrorType typed)
        {
            return typed.ErrorType;
        }

        lock (Resolvers)
        {
            foreach (var resolver in Resolvers)
            {
                if (resolver(exception) is { } name)
                {
                    return name;
                }
            }
        }

        return exception.GetType().Name;
    }
}
