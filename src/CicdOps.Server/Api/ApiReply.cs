using System.Text;
using CicdOps.Engine;
using CicdOps.Engine.Fleet;
using Microsoft.AspNetCore.Http;

namespace CicdOps.Server.Api;

/// <summary>How every /api answer is written: JSON, never cached; errors as {status, error} with the engine's one line.</summary>
internal static class ApiReply
{
    public static async Task Json<T>(HttpContext context, int status, T value)
    {
        var body = ApiJson.Bytes(value);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }

    public static async Task Error(HttpContext context, int status, string reason)
    {
        var body = Encoding.UTF8.GetBytes(FleetJson.Serialize(new { status, error = reason }));
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body);
    }

    /// <summary>The HTTP status for an engine refusal: what was named is missing (404), is wrong (400), or cannot be done now (409).</summary>
    public static int StatusOf(CicdException e) => e.Kind switch
    {
        CicdErrorKind.NotFound => 404,
        CicdErrorKind.InvalidArgument => 400,
        CicdErrorKind.AlreadyExists or CicdErrorKind.InvalidOperation => 409,
        CicdErrorKind.ConnectionError => 502,
        _ => 500,
    };
}
