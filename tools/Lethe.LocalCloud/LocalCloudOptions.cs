using Lethe.Lambda.Runtime;

namespace Lethe.LocalCloud;

public sealed class LocalCloudOptions
{
    /// <summary>The gateway's port (the AWS endpoint clients use); 0 picks a free one.</summary>
    public int GatewayPort { get; set; }

    /// <summary>Prefix of every physical resource name, so several local clouds (or test runs) never collide.</summary>
    public string ResourcePrefix { get; set; } = "lethe-local";

    public string Region { get; set; } = "us-east-1";

    public string AccountId { get; set; } = "123456789012";

    /// <summary>How often job status is mirrored from executions (the status-change rule of AWS).</summary>
    public TimeSpan JobStatusInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The default tenant time scale (DESIGN.md's time model); 1 is real time.</summary>
    public int TimeScale { get; set; } = 1;

    /// <summary>Python with moto installed; <c>LETHE_PYTHON</c> or <c>python3</c> by default.</summary>
    public string Python { get; set; } = Environment.GetEnvironmentVariable("LETHE_PYTHON") ?? "python3";

    /// <summary>The repository root (for workflows/); found from the current directory when null.</summary>
    public string? RepositoryRoot { get; set; }

    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Extra handlers the gateway serves next to Lethe's own (tests register probes here).</summary>
    public Action<HandlerRegistry>? ConfigureHandlers { get; set; }

    public TimeProvider Clock { get; set; } = TimeProvider.System;

    /// <summary>
    /// Fires the daily schedules (the soft-delete sweep and the retention schedule) every day divided by <see cref="TimeScale"/>
    /// (at least every <see cref="MinimumScheduleInterval"/>), as EventBridge does in AWS: on under <c>./lethe up</c>, off in tests,
    /// which start them on demand.
    /// </summary>
    public bool RunDailySchedules { get; set; }

    /// <summary>
    /// How long a message the ingest consumer failed stays invisible before it comes back (the queue's 6-minute visibility
    /// timeout in AWS): short locally, so a poison message reaches the dead-letter queue in seconds.
    /// </summary>
    public TimeSpan IngestRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    public static readonly TimeSpan MinimumScheduleInterval = TimeSpan.FromSeconds(5);

    /// <summary>How often the daily schedules fire locally.</summary>
    public TimeSpan DailyScheduleInterval => TimeSpan.FromTicks(Math.Max(MinimumScheduleInterval.Ticks, TimeSpan.FromDays(1).Ticks / Math.Max(1, TimeScale)));

    public void Validate()
    {
        if (GatewayPort is < 0 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(GatewayPort), GatewayPort, "The gateway port must be 0 (any free port) or 1–65535.");
        }

        if (TimeScale < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(TimeScale), TimeScale, "The time scale is an integer of at least 1.");
        }

        if (string.IsNullOrWhiteSpace(ResourcePrefix) || ResourcePrefix.Length > 30 || !ResourcePrefix.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
        {
            throw new ArgumentException("The resource prefix is 1–30 characters of [a-z0-9-] (it becomes part of bucket names).", nameof(ResourcePrefix));
        }
    }
}
