namespace Lethe.Domain.Errors;

/// <summary>
/// Base of every error a Lethe step raises on purpose. <see cref="ErrorType"/> is the name Step Functions
/// Retry and Catch clauses match (for example <c>Lethe.Transient</c>), so it is part of the workflow contract.
/// </summary>
public abstract class LetheException : Exception
{
    protected LetheException(string message, Exception? inner = null) : base(message, inner)
    {
    }

    public abstract string ErrorType { get; }
}

/// <summary>A failure that is expected to pass: throttling, a timeout, a dependency briefly away. Workflows retry it.</summary>
public sealed class TransientException : LetheException
{
    public const string Name = "Lethe.Transient";

    public TransientException(string message, Exception? inner = null) : base(message, inner)
    {
    }

    public override string ErrorType => Name;
}

/// <summary>Input that can never succeed, however often it is retried. Workflows catch it and fail the job.</summary>
public sealed class InvalidInputException : LetheException
{
    public const string Name = "Lethe.InvalidInput";

    public InvalidInputException(string message) : base(message)
    {
    }

    public override string ErrorType => Name;
}

/// <summary>
/// A write for a subject whose erasure is open (API.md: 409 <c>erasure-in-progress</c> with the erasure's job id). Raised by the
/// write's own transaction, which checks the subject's erasure lock, never by a read before it.
/// </summary>
public sealed class ErasureInProgressException : LetheException
{
    public const string Name = "Lethe.ErasureInProgress";

    public ErasureInProgressException(string? jobId)
        : base("An erasure of this subject is open: nothing is written for it until the erasure ends.")
    {
        JobId = jobId;
    }

    /// <summary>The open erasure, when it could be read (it may have ended between the write and the read).</summary>
    public string? JobId { get; }

    public override string ErrorType => Name;
}
