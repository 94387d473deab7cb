global using CicdOps.Engine;
