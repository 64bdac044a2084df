using Microsoft.Extensions.Logging;

namespace Lethe.Tests.Integration.Fixtures;

/// <summary>
/// Keeps every warning and error the in-process API logs in <c>api-errors.log</c> beside the test binaries: a 500 seen by a
/// test is explained there (test output does not show the server's console).
/// </summary>
public sealed class ErrorLogFile : ILoggerProvider
{
    private static readonly Lock Gate = new();
    private readonly string _path = Path.Combine(AppContext.BaseDirectory, "api-errors.log");

    public ILogger CreateLogger(string categoryName) => new Writer(this, categoryName);

    public void Dispose()
    {
    }

    private void Write(string line)
    {
        lock (Gate)
        {
            File.AppendAllText(_path, line + Environment.NewLine);
        }
    }

    private sealed class Writer(ErrorLogFile file, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                file.Write($"{DateTimeOffset.UtcNow:O} {logLevel} {category}: {formatter(state, exception)} {exception}");
            }
        }
    }
}
