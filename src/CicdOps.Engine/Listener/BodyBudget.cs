namespace CicdOps.Engine.Listener;

/// <summary>
/// The memory all request bodies being read may hold together, in two shares: bodies up to the small-body size
/// (genuine pushes) and larger or chunked ones. A flood of 25 MB bodies exhausts only the large share, so a usual
/// delivery still finds room; a body that finds none is answered 503 before any of it is read.
/// </summary>
internal sealed class BodyBudget
{
    private readonly long _smallBody, _smallShare, _largeShare;
    private long _smallUsed, _largeUsed;

    public BodyBudget(long total, long smallBody)
    {
        _smallBody = smallBody;
        _smallShare = total / 2;
        _largeShare = total - _smallShare;
    }

    /// <summary>Whether a body of this declared size draws on the large share.</summary>
    public bool IsLarge(long bytes) => bytes > _smallBody;

    /// <summary>Reserves <paramref name="bytes"/> from one share; false when it is spent. Release exactly what was reserved.</summary>
    public bool TryReserve(long bytes, bool large)
    {
        ref var used = ref large ? ref _largeUsed : ref _smallUsed;
        var share = large ? _largeShare : _smallShare;
        while (true)
        {
            var now = Volatile.Read(ref used);
            if (now + bytes > share) return false;
            if (Interlocked.CompareExchange(ref used, now + bytes, now) == now) return true;
        }
    }

    public void Release(long bytes, bool large)
    {
        if (bytes <= 0) return;
        if (large) Interlocked.Add(ref _largeUsed, -bytes);
        else Interlocked.Add(ref _smallUsed, -bytes);
    }

    /// <summary>Bytes reserved now, both shares.</summary>
    public long InUse => Volatile.Read(ref _smallUsed) + Volatile.Read(ref _largeUsed);
}
