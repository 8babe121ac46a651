async def start_executor():
    return None
