using System.Net;
using Lethe.Domain.Errors;

namespace Lethe.Aws.StepFunctions;

/// <summary>An error the Step Functions API returned, by its AWS error code.</summary>
public class StepFunctionsException : Exception
{
    public StepFunctionsException(string errorCode, string message, HttpStatusCode status) : base($"{errorCode}: {message}")
    {
        ErrorCode = errorCode;
        Status = status;
    }

    public string ErrorCode { get; }

    public HttpStatusCode Status { get; }

    /// <summary>Turns an AWS error code into the typed exception callers catch.</summary>
    public static StepFunctionsException From(string errorCode, string message, HttpStatusCode status) => errorCode switch
    {
        "ExecutionAlreadyExists" => new ExecutionAlreadyExistsException(message, status),
        "ExecutionDoesNotExist" => new ExecutionDoesNotExistException(message, status),
        "StateMachineDoesNotExist" => new StateMachineDoesNotExistException(message, status),
        "ExecutionNotRedrivable" => new ExecutionNotRedrivableException(message, status),
        "TaskDoesNotExist" or "TaskTimedOut" or "InvalidToken" => new TaskTokenRejectedException(errorCode, message, status),
        _ => new StepFunctionsException(errorCode, message, status),
    };
}

/// <summary>A different execution with this name exists (a same-name, same-input start is answered with the existing one).</summary>
public sealed class ExecutionAlreadyExistsException(string message, HttpStatusCode status)
    : StepFunctionsException("ExecutionAlreadyExists", message, status);

public sealed class ExecutionDoesNotExistException(string message, HttpStatusCode status)
    : StepFunctionsException("ExecutionDoesNotExist", message, status);

public sealed class StateMachineDoesNotExistException(string message, HttpStatusCode status)
    : StepFunctionsException("StateMachineDoesNotExist", message, status);

public sealed class ExecutionNotRedrivableException(string message, HttpStatusCode status)
    : StepFunctionsException("ExecutionNotRedrivable", message, status);

public sealed class TaskTokenRejectedException(string errorCode, string message, HttpStatusCode status)
    : StepFunctionsException(errorCode, message, status);

/// <summary>Throttling or a server error that outlasted the client's retries; workflows retry it as <c>Lethe.Transient</c>.</summary>
public sealed class StepFunctionsUnavailableException(string message, Exception? inner = null) : LetheException(message, inner)
{
    public override string ErrorType => TransientException.Name;
}
